/* tmpl: report templates filled from data, their filters, escapers and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vigil/err.h"

#include "../../report/tmpl.h"

static const char *DATA =
    "{\"unit\":{\"name\":\"Ủy ban nhân dân phường Đông Hòa\",\"place\":\"Dĩ An\"},"
    "\"incident\":{\"id\":12,\"title\":\"Dò mật khẩu <SSH> & RDP\",\"category\":\"attack\","
    "\"detected_at\":\"2026-12-05T14:30:00+07:00\",\"day\":\"2026-02-13\","
    "\"machines\":[{\"name\":\"pc-ketoan-01\",\"ip\":\"10.0.0.5\"},{\"name\":\"pc-vanthu\"}],"
    "\"tags\":[\"ssh\",\"rdp\"],\"none\":[],\"events\":1234567,\"ratio\":92.5,\"secs\":8100,"
    "\"notes\":\"dòng 1\\ndòng 2\",\"empty\":\"\",\"gone\":null,\"done\":false},"
    "\"fields\":{\"harm\":\"=cmd|' /C calc'!A0\"}}";

struct fixture {
	struct value_doc *doc;
	char err[512];
	struct buf out;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	assert_int_equal(value_parse(DATA, strlen(DATA), NULL, &f->doc, err, sizeof(err)), 0);
	buf_init(&f->out, 1 << 20);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	value_doc_free(f->doc);
	buf_free(&f->out);
	free(f);
	return 0;
}

static int
picture(void *arg, struct buf *out, const char *kind, const struct value *v, char *err,
        size_t errlen)
{
	if (strcmp(kind, "chart") != 0) {
		snprintf(err, errlen, "no such picture");
		return VIGIL_ERR_INVAL;
	}
	return buf_printf(out, "[%s of %zu]", kind, v->n);
}

/* Render src with escaper esc; return the rc, the output in f->out, any message in f->err. */
static int
render_with(struct fixture *f, const char *src,
            int (*esc)(void *, struct buf *, const char *, size_t, int))
{
	struct tmpl_output o = {esc, picture, NULL};
	struct tmpl *t = NULL;
	int rc;

	buf_reset(&f->out);
	f->err[0] = '\0';
	if ((rc = tmpl_parse(src, strlen(src), NULL, &t, f->err, sizeof(f->err))) != 0)
		return rc;
	rc = tmpl_render(t, value_root(f->doc), &o, &f->out, f->err, sizeof(f->err));
	tmpl_free(t);
	return rc;
}

static const char *
fill(struct fixture *f, const char *src)
{
	int rc = render_with(f, src, tmpl_escape_none);

	if (rc != 0)
		fail_msg("%s: %s", src, f->err);
	return f->out.p != NULL ? f->out.p : "";
}

static void
test_fields(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(fill(f, "Số {{incident.id}}: {{ incident.title }}."),
	                    "Số 12: Dò mật khẩu <SSH> & RDP.");
	assert_string_equal(fill(f, "[{{incident.gone?}}][{{incident.nothing?}}]"), "[][]");
	assert_string_equal(
	    fill(f, "{{incident.empty | default:\"—\"}}|{{incident.gone|default:“không”}}"),
	    "—|không");
	assert_string_equal(fill(f, "{{incident.done}}"), "Không");
	assert_string_equal(fill(f, "a{{! nothing to see }}b"), "ab");
}

static void
test_missing(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(render_with(f, "x {{fields.assessment}} y", tmpl_escape_none),
	                 VIGIL_ERR_MISSING);
	assert_non_null(strstr(f->err, "missing field \"fields.assessment\""));
	assert_non_null(strstr(f->err, "{{fields.assessment}}"));
	/* null is missing too, and an empty list to loop over is not an error but a missing one is.
	 */
	assert_int_equal(render_with(f, "{{incident.gone}}", tmpl_escape_none), VIGIL_ERR_MISSING);
	assert_int_equal(render_with(f, "{{#each incident.nothing}}x{{/each}}", tmpl_escape_none),
	                 VIGIL_ERR_MISSING);
	assert_non_null(strstr(f->err, "\"incident.nothing\""));
	assert_string_equal(fill(f, "{{#each incident.nothing}}x{{else}}none{{/each}}"), "none");
	assert_int_equal(render_with(f, "{{incident.machines}}", tmpl_escape_none),
	                 VIGIL_ERR_INVAL);
	assert_non_null(strstr(f->err, "is a list"));
	assert_int_equal(render_with(f, "{{#each incident.title}}{{/each}}", tmpl_escape_none),
	                 VIGIL_ERR_INVAL);
	assert_non_null(strstr(f->err, "not a list"));
}

static void
test_loops(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(fill(f, "{{#each incident.machines}}{{@index}}. {{name}} ({{ip?}}) "
	                            "{{unit.place}}{{#unless @last}}; {{/unless}}{{/each}}"),
	                    "1. pc-ketoan-01 (10.0.0.5) Dĩ An; 2. pc-vanthu () Dĩ An");
	assert_string_equal(fill(f, "{{#each incident.tags}}<{{this}}>{{/each}}"), "<ssh><rdp>");
	assert_string_equal(fill(f, "{{#each incident.none}}x{{else}}(trống){{/each}}"), "(trống)");
	assert_string_equal(
	    fill(f, "{{#each incident.machines}}{{#each incident.tags}}{{.}}{{/each}}|{{/each}}"),
	    "sshrdp|sshrdp|");
	assert_string_equal(
	    fill(f, "{{#if incident.machines}}có{{else}}không{{/if}}"
	            "{{#if incident.none}}có{{else}}không{{/if}}"
	            "{{#if incident.nothing}}có{{/if}}{{#unless incident.done}}!{{/unless}}"),
	    "cókhông!");
	assert_int_equal(render_with(f, "{{@index}}", tmpl_escape_none), VIGIL_ERR_INVAL);
}

static void
test_filters(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(fill(f, "{{incident.detected_at|date}} {{incident.detected_at|time}} "
	                            "{{incident.detected_at|datetime}}"),
	                    "05/12/2026 14:30 14:30 ngày 05/12/2026");
	assert_string_equal(fill(f, "ngày {{incident.day|day}} tháng {{incident.day|month}} năm "
	                            "{{incident.day|year}}"),
	                    "ngày 13 tháng 02 năm 2026");
	assert_string_equal(fill(f, "{{unit.name|upper}}"), "ỦY BAN NHÂN DÂN PHƯỜNG ĐÔNG HÒA");
	assert_string_equal(fill(f, "{{incident.events|number}} {{incident.ratio|number}} "
	                            "{{incident.ratio|number:0}} {{incident.ratio|number:2}}"),
	                    "1.234.567 92,5 93 92,50");
	assert_string_equal(fill(f, "{{incident.secs|duration}}"), "2 giờ 15 phút");
	assert_string_equal(fill(f, "{{incident.machines|count}} {{incident.tags|join:\", \"}}"),
	                    "2 ssh, rdp");
	assert_string_equal(
	    fill(f, "{{incident.category|check:\"attack\"}}{{incident.category|check:‘malware’}}"
	            "{{incident.tags|check:\"rdp\"}}{{incident.done|checked}}"
	            "{{incident.nothing|check:\"x\"}}"),
	    "☒☐☒☐☐");
	assert_int_equal(render_with(f, "{{incident.title|date}}", tmpl_escape_none),
	                 VIGIL_ERR_INVAL);
	assert_non_null(strstr(f->err, "not a date"));
	assert_int_equal(render_with(f, "{{incident.day|time}}", tmpl_escape_none),
	                 VIGIL_ERR_INVAL);
	assert_int_equal(render_with(f, "{{incident.title|number}}", tmpl_escape_none),
	                 VIGIL_ERR_INVAL);
}

static void
test_escapers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
	    render_with(f, "<w:t>{{incident.title}}|{{incident.notes}}</w:t>", tmpl_escape_wordml),
	    0);
	assert_string_equal(f->out.p, "<w:t>Dò mật khẩu &lt;SSH&gt; &amp; RDP|dòng 1</w:t><w:br/>"
	                              "<w:t xml:space=\"preserve\">dòng 2</w:t>");
	assert_int_equal(render_with(f, "<p>{{incident.title}}</p>", tmpl_escape_html), 0);
	assert_string_equal(f->out.p, "<p>Dò mật khẩu &lt;SSH&gt; &amp; RDP</p>");
	/* CSV: text quoted, a would-be formula defused, numbers bare. */
	assert_int_equal(render_with(f, "{{fields.harm}},{{incident.events}},{{incident.title}}",
	                             tmpl_escape_csv),
	                 0);
	assert_string_equal(f->out.p,
	                    "\"'=cmd|' /C calc'!A0\",1234567,\"Dò mật khẩu <SSH> & RDP\"");
	assert_int_equal(render_with(f, "{{%chart incident.machines}}", tmpl_escape_none), 0);
	assert_string_equal(f->out.p, "[chart of 2]");
	assert_int_equal(render_with(f, "{{%map incident.machines}}", tmpl_escape_none),
	                 VIGIL_ERR_INVAL);
	assert_non_null(strstr(f->err, "no such picture"));
}

static void
test_syntax(void **state)
{
	static const struct {
		const char *src, *says;
	} bad[] = {
	    {"a\n  {{#each x}}b", "line 2, column 3: {{#each x}}: this block is never closed"},
	    {"{{#if x}}{{/each}}", "does not close the block"},
	    {"{{/if}}", "closing tag without its opening tag"},
	    {"{{else}}", "{{else}} belongs inside"},
	    {"{{#if x}}a{{else}}b{{else}}c{{/if}}", "once"},
	    {"{{x | shout}}", "unknown filter \"shout\""},
	    {"{{x | check}}", "needs an argument in quotes"},
	    {"{{x | check:y}}", "must be in quotes"},
	    {"{{x | date:\"y\"}}", "takes no argument"},
	    {"{{#loop x}}{{/loop}}", "unknown block"},
	    {"{{#each}}{{/each}}", "expected a field name"},
	    {"{{a..b}}", "expected '|'"},
	    {"{{1abc}}", "cannot start with a digit"},
	    {"{{@row}}", "only @index"},
	    {"{{x", "never closed"},
	    {"{{x | default:\"unterminated}}", "not closed"},
	    {"{{#if x y}}{{/if}}", "one field and no filters"},
	};
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tmpl *t = (struct tmpl *)&t;

		err[0] = '\0';
		assert_int_equal(
		    tmpl_parse(bad[i].src, strlen(bad[i].src), NULL, &t, err, sizeof(err)),
		    VIGIL_ERR_INVAL);
		assert_null(t);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("%s: said \"%s\", not \"%s\"", bad[i].src, err, bad[i].says);
	}
}

/* A hostile template cannot make rendering run long, deep or large. */
static void
test_limits(void **state)
{
	struct fixture *f = *state;
	struct tmpl_limits lim = tmpl_default_limits;
	struct tmpl_output o = {tmpl_escape_none, NULL, NULL};
	struct tmpl *t = NULL;
	char *src;
	size_t len = 0;
	int rc;

	/* Loops inside loops over a list: steps are counted. */
	lim.max_steps = 1000;
	src = "{{#each incident.machines}}{{#each incident.machines}}{{#each incident.machines}}"
	      "{{#each incident.machines}}{{#each incident.machines}}{{#each incident.machines}}"
	      "{{#each incident.machines}}{{#each incident.machines}}{{#each incident.machines}}"
	      "{{#each incident.machines}}x{{/each}}{{/each}}{{/each}}{{/each}}{{/each}}{{/each}}"
	      "{{/each}}{{/each}}{{/each}}{{/each}}";
	assert_int_equal(tmpl_parse(src, strlen(src), &lim, &t, f->err, sizeof(f->err)), 0);
	buf_reset(&f->out);
	rc = tmpl_render(t, value_root(f->doc), &o, &f->out, f->err, sizeof(f->err));
	assert_int_equal(rc, VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(f->err, "more than 1000 steps"));
	tmpl_free(t);

	/* The output buffer's cap. */
	{
		struct buf small;

		buf_init(&small, 10);
		assert_int_equal(tmpl_parse("{{unit.name}}", 13, NULL, &t, f->err, sizeof(f->err)),
		                 0);
		assert_int_equal(
		    tmpl_render(t, value_root(f->doc), &o, &small, f->err, sizeof(f->err)),
		    VIGIL_ERR_TOOBIG);
		assert_non_null(strstr(f->err, "larger than 10 bytes"));
		tmpl_free(t);
		buf_free(&small);
	}

	/* Nesting, node count and size of the template itself. */
	src = malloc(64 * 20 + 1);
	assert_non_null(src);
	for (int i = 0; i < 20; i++)
		len += (size_t)sprintf(src + len, "{{#if a}}");
	lim = tmpl_default_limits;
	assert_int_equal(tmpl_parse(src, len, &lim, &t, f->err, sizeof(f->err)), VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(f->err, "nested deeper than 16"));
	len = 0;
	for (int i = 0; i < 20; i++)
		len += (size_t)sprintf(src + len, "{{a}}");
	lim.max_nodes = 10;
	assert_int_equal(tmpl_parse(src, len, &lim, &t, f->err, sizeof(f->err)), VIGIL_ERR_TOOBIG);
	lim.max_input = 50;
	assert_int_equal(tmpl_parse(src, len, &lim, &t, f->err, sizeof(f->err)), VIGIL_ERR_TOOBIG);
	assert_non_null(strstr(f->err, "larger than 50 bytes"));
	free(src);
}

static void
collect(void *arg, const char *path, int required, const char *loop)
{
	struct buf *b = arg;

	buf_printf(b, "%s%s%s%s;", path, required ? "!" : "", *loop ? "@" : "", loop);
}

static void
test_list_fields(void **state)
{
	struct fixture *f = *state;
	const char *src = "{{unit.name}} {{fields.harm?}} {{fields.help|default:\"-\"}} "
	                  "{{#each incident.machines}}{{name}}{{ip?}}{{/each}}{{unit.name}}"
	                  "{{#if fields.x}}{{fields.y}}{{/if}}{{incident.category|check:\"a\"}}";
	struct tmpl *t = NULL;

	assert_int_equal(tmpl_parse(src, strlen(src), NULL, &t, f->err, sizeof(f->err)), 0);
	buf_reset(&f->out);
	tmpl_fields(t, collect, &f->out);
	assert_string_equal(f->out.p, "unit.name!;fields.harm;fields.help;incident.machines!;"
	                              "name!@incident.machines;ip@incident.machines;fields.x;"
	                              "fields.y!;incident.category;");
	tmpl_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_loops, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escapers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_fields, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
