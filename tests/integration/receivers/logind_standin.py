#!/usr/bin/python3
"""STAND-INS for systemd-logind and systemd, for the agent's shutdown, sleep and restart test (t20).

systemd-logind itself cannot run here (systemd is not PID 1), so this small
program takes its name, org.freedesktop.login1, on a private dbus-daemon and
offers the part of its Manager interface the agent uses:

  Inhibit(what, who, why, mode) -> fd   a delay lock: the write end of a pipe;
                                        the lock is released when every copy
                                        of it is closed
  signal PrepareForShutdown(b)          going down (true) or cancelled (false)
  signal PrepareForSleep(b)             going to sleep (true) or resumed (false)

It also takes org.freedesktop.systemd1, for the agent's question on SIGTERM
"is this a restart of my unit, or is the system stopping?":

  Manager.GetUnitByPID(pid) -> the unit's path (any pid: one unit)
  Properties.Get: Manager.SystemState, Unit.Job (id 0: none), Job.JobType

A test drives them through methods on an interface of its own:

  org.vigil.test.LogindStandIn.Emit(which, start)   which: "shutdown" or "sleep"
  org.vigil.test.LogindStandIn.SetJob(type)         "": no job; "restart", "stop"...
  org.vigil.test.LogindStandIn.SetSystemState(s)    "running", "stopping"...

Everything that happens is one line in the log file, with the wall-clock time
in microseconds:

  ready
  inhibit TIME WHAT MODE WHO
  released TIME
  emit TIME WHICH true|false
  asked TIME WHAT

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

    @dbus.service.method(TEST, in_signature="s", out_signature="")
    def SetJob(self, job):
        State.job = job

    @dbus.service.method(TEST, in_signature="s", out_signature="")
    def SetSystemState(self, state):
        State.system = state

    @dbus.service.method(TEST, in_signature="sb", out_signature="")
    def Emit(self, which, start):
        self.say("emit %d %s %s" % (now_us(), which, "true" if start else "false"))
        if which == "shutdown":
            self.PrepareForShutdown(start)
        elif which == "sleep":
            self.PrepareForSleep(start)
        else:
            raise dbus.exceptions.DBusException("which must be shutdown or sleep")


SYSTEMD = "org.freedesktop.systemd1.Manager"
PROPS = "org.freedesktop.DBus.Properties"
UNIT_PATH = "/org/freedesktop/systemd1/unit/vigil_2dagent_2eservice"
JOB_PATH = "/org/freedesktop/systemd1/job/42"


class State:
    job = ""
    system = "running"


class Props(dbus.service.Object):
    """Properties.Get of one object, from a function of (interface, name)."""

    def __init__(self, bus, path, get, say):
        super().__init__(bus, path)
        self.get = get
        self.say = say

    @dbus.service.method(PROPS, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        self.say("asked %d %s.%s" % (now_us(), interface, name))
        v = self.get(interface, name)
        if v is None:
            raise dbus.exceptions.DBusException("no property %s.%s" % (interface, name),
                                                name="org.freedesktop.DBus.Error.UnknownProperty")
        return v


class Systemd(Props):
    def __init__(self, bus, say):
        super().__init__(bus, "/org/freedesktop/systemd1", self.prop, say)

    def prop(self, interface, name):
        if interface == SYSTEMD and name == "SystemState":
            return dbus.String(State.system, variant_level=1)
        return None

    @dbus.service.method(SYSTEMD, in_signature="u", out_signature="o")
    def GetUnitByPID(self, pid):
        self.say("asked %d GetUnitByPID" % now_us())
        return dbus.ObjectPath(UNIT_PATH)


def unit_prop(interface, name):
    if interface == "org.freedesktop.systemd1.Unit" and name == "Job":
        if State.job == "":
            return dbus.Struct((dbus.UInt32(0), dbus.ObjectPath("/")), signature="uo",
                               variant_level=1)
        return dbus.Struct((dbus.UInt32(42), dbus.ObjectPath(JOB_PATH)), signature="uo",
                           variant_level=1)
    return None


def job_prop(interface, name):
    if interface == "org.freedesktop.systemd1.Job" and name == "JobType" and State.job:
        return dbus.String(State.job, variant_level=1)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bus", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(args.bus)
    log = open(args.log, "a")
    names = [dbus.service.BusName(n, bus, do_not_queue=True)
             for n in ("org.freedesktop.login1", "org.freedesktop.systemd1")]
    manager = Manager(bus, log)
    objects = [Systemd(bus, manager.say), Props(bus, UNIT_PATH, unit_prop, manager.say),
               Props(bus, JOB_PATH, job_prop, manager.say)]
    manager.say("ready")
    GLib.MainLoop().run()
    del names, objects


if __name__ == "__main__":
    main()
