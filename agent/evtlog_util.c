/*
 * The Event Log sensor's pure parts (evtlog_util.h): the channels list, the
 * UTF-16 text Windows renders, the bookmark read back from the spool, the
 * subscription's query. Outside input every one: the configuration, what Windows
 * renders, and a file on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/sbuf.h"
#include "vigil/text.h"
#include "vigil/utf8.h"
#include "vigil/xmltok.h"
#include "evtlog_util.h"

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

int
evtlog_channels_parse(const char *list, struct evtlog_channel *out, size_t max, size_t *n,
    char *err, size_t errlen)
{
	const char *p = list, *b, *e;
	size_t len, i;

	*n = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (;;) {
		for (b = p; *p != '\0' && *p != ','; p++)
			;
		e = p;
		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
		len = (size_t)(e - b);
		/* "" alone is no channel at all; an empty entry between commas is a mistake. */
		if (len == 0 && (*p == ',' || *n > 0))
			return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s",
			    _("the channels list has an empty entry"));
		if (len > 0) {
			if (len >= EVTLOG_MAX_CHANNEL)
				return err_fmt(err, errlen, VIGIL_ERR_INVAL, _("channel \"%.40s...\" is "
				    "longer than %d bytes"), b, EVTLOG_MAX_CHANNEL - 1);
			for (i = 0; i < len; i++)
				if ((unsigned char)b[i] < 0x20 || b[i] == 0x7f)
					return err_fmt(err, errlen, VIGIL_ERR_INVAL, "%s",
					    _("a channel's name holds a control character"));
			if (*n >= max)
				return err_fmt(err, errlen, VIGIL_ERR_TOOBIG,
				    _("the channels list has more than %zu entries"), max);
			memcpy(out[*n].name, b, len);
			out[*n].name[len] = '\0';
			for (i = 0; i < *n; i++)
				if (text_same_word(out[i].name, out[*n].name))
					return err_fmt(err, errlen, VIGIL_ERR_INVAL,
					    _("channel \"%s\" is listed twice"), out[*n].name);
			(*n)++;
		}
		if (*p == '\0')
			return 0;
		p++;
	}
}

size_t
evtlog_utf16_to_utf8(const uint16_t *w, size_t wlen, char *out, size_t cap, int *cut)
{
	char enc[4];
	size_t i, o = 0, k;
	uint32_t cp;

	if (cut != NULL)
		*cut = 0;
	if (cap == 0)
		return 0;
	for (i = 0; i < wlen && w[i] != 0; i++) {
		cp = w[i];
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 1 < wlen && w[i + 1] >= 0xdc00 && w[i + 1] <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (uint32_t)(w[i + 1] - 0xdc00);
				i++;
			} else
				cp = 0xfffd;
		} else if (cp >= 0xdc00 && cp <= 0xdfff)
			cp = 0xfffd;
		k = utf8_encode(enc, cp);
		if (o + k >= cap) {
			if (cut != NULL)
				*cut = 1;
			break;
		}
		memcpy(out + o, enc, k);
		o += k;
	}
	out[o] = '\0';
	return o;
}

/* Put decoded attribute bytes into a small buffer; more than it holds fails. */
struct small {
	char *buf;
	size_t cap, len;
};

static int
small_put(void *arg, const char *s, size_t n)
{
	struct small *sm = arg;

	if (sm->len + n >= sm->cap)
		return -1;
	memcpy(sm->buf + sm->len, s, n);
	sm->len += n;
	sm->buf[sm->len] = '\0';
	return 0;
}

static int
attr_text(const struct xml_token *t, const char *name, char *buf, size_t cap)
{
	struct small sm = { buf, cap, 0 };
	const char *v;
	size_t vlen;

	buf[0] = '\0';
	if ((v = xml_attr(t, name, &vlen)) == NULL)
		return -1;
	return xml_decode_to(v, vlen, small_put, &sm) == 0 ? 0 : -1;
}

int
evtlog_bookmark_check(const char *xml, size_t len, const char *channel, uint64_t *record_id)
{
	struct xml_reader *r;
	struct xml_token *t;
	char ch[EVTLOG_MAX_CHANNEL], num[24];
	int rc = VIGIL_ERR_INVAL, list = 0, found = 0;
	long long v;

	*record_id = 0;
	if ((r = malloc(sizeof(*r))) == NULL || (t = malloc(sizeof(*t))) == NULL) {
		free(r);
		return VIGIL_ERR_NOMEM;
	}
	xml_init(r, xml, len);
	for (;;) {
		if (xml_next(r, t) != 0)
			goto out;
		if (t->type == XML_EOF)
			break;
		if (t->type == XML_START && t->depth == 0 && xml_is(t, "BookmarkList"))
			list = 1;
		else if ((t->type == XML_START || t->type == XML_EMPTY) && t->depth == 0)
			goto out;       /* another root: not a bookmark */
		else if ((t->type == XML_START || t->type == XML_EMPTY) && t->depth == 1 &&
		    xml_is(t, "Bookmark")) {
			if (attr_text(t, "Channel", ch, sizeof(ch)) != 0 ||
			    attr_text(t, "RecordId", num, sizeof(num)) != 0)
				goto out;
			if (!text_same_word(ch, channel))
				continue;
			if (text_parse_ll(num, 0, INT64_MAX, &v) != 0)
				goto out;
			*record_id = (uint64_t)v;
			found = 1;
		}
	}
	if (list && found)
		rc = 0;
out:
	if (rc != 0)
		*record_id = 0;
	free(t);
	free(r);
	return rc;
}

size_t
evtlog_query(const uint16_t *ids, size_t n, long long backlog_ms, char *buf, size_t cap)
{
	struct sbuf b;
	size_t i;

	if (n > EVTLOG_QUERY_MAX_IDS)
		n = 0;
	sbuf_init(&b, buf, cap);
	if (n == 0 && backlog_ms < 0)
		sbuf_str(&b, "*");
	else
		sbuf_str(&b, "*[System[");
	for (i = 0; i < n; i++)
		sbuf_printf(&b, "%s%sEventID=%u", i == 0 ? "(" : "", i > 0 ? " or " : "",
		    (unsigned)ids[i]);
	if (n > 0)
		sbuf_printf(&b, ")%s", backlog_ms >= 0 ? " and " : "");
	if (backlog_ms >= 0)
		sbuf_printf(&b, "TimeCreated[timediff(@SystemTime) <= %lld]", backlog_ms);
	if (n > 0 || backlog_ms >= 0)
		sbuf_str(&b, "]]");
	if (b.trunc) {
		if (cap > 0)
			buf[0] = '\0';
		return 0;
	}
	return b.len;
}
