#!/usr/bin/python3
"""A STAND-IN for systemd-logind, for the agent's shutdown and sleep test (t18).

systemd-logind itself cannot run here (systemd is not PID 1), so this small
program takes its name, org.freedesktop.login1, on a private dbus-daemon and
offers the part of its Manager interface the agent uses:

  Inhibit(what, who, why, mode) -> fd   a delay lock: the write end of a pipe;
                                        the lock is released when every copy
                                        of it is closed
  signal PrepareForShutdown(b)          going down (true) or cancelled (false)
  signal PrepareForSleep(b)             going to sleep (true) or resumed (false)

A test drives it through one more method, on an interface of its own:

  org.vigil.test.LogindStandIn.Emit(which, start)   which: "shutdown" or "sleep"

Everything that happens is one line in the log file, with the wall-clock time
in microseconds:

  ready
  inhibit TIME WHAT MODE WHO
  released TIME
  emit TIME WHICH true|false

  logind_standin.py --bus ADDRESS --log FILE
"""
import argparse
import os
import time

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

MANAGER = "org.freedesktop.login1.Manager"
TEST = "org.vigil.test.LogindStandIn"


def now_us():
    return int(time.time() * 1000000)


class Manager(dbus.service.Object):
    def __init__(self, bus, log):
        super().__init__(bus, "/org/freedesktop/login1")
        self.log = log

    def say(self, line):
        self.log.write(line + "\n")
        self.log.flush()

    @dbus.service.method(MANAGER, in_signature="ssss", out_signature="h")
    def Inhibit(self, what, who, why, mode):
        r, w = os.pipe()
        self.say("inhibit %d %s %s %s" % (now_us(), what, mode, who))

        def released(fd, condition):
            self.say("released %d" % now_us())
            os.close(fd)
            return False

        GLib.io_add_watch(r, GLib.PRIORITY_DEFAULT, GLib.IO_HUP | GLib.IO_ERR, released)
        # UnixFd keeps a duplicate: ours goes at once, so only the caller holds the lock.
        lock = dbus.types.UnixFd(w)
        os.close(w)
        return lock

    @dbus.service.signal(MANAGER, signature="b")
    def PrepareForShutdown(self, start):
        pass

    @dbus.service.signal(MANAGER, signature="b")
    def PrepareForSleep(self, start):
        pass

    @dbus.service.method(TEST, in_signature="sb", out_signature="")
    def Emit(self, which, start):
        self.say("emit %d %s %s" % (now_us(), which, "true" if start else "false"))
        if which == "shutdown":
            self.PrepareForShutdown(start)
        elif which == "sleep":
            self.PrepareForSleep(start)
        else:
            raise dbus.exceptions.DBusException("which must be shutdown or sleep")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bus", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(args.bus)
    log = open(args.log, "a")
    name = dbus.service.BusName("org.freedesktop.login1", bus, do_not_queue=True)
    manager = Manager(bus, log)
    manager.say("ready")
    GLib.MainLoop().run()
    del name


if __name__ == "__main__":
    main()
