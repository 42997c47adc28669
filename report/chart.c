/*
 * The summary's bar chart. See chart.h. Greys and one blue so that it
 * prints well in black and white; bars that reach the target are blue, the
 * others grey; the target is a dashed red line with its value.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <pango/pangocairo.h>

#include "vigil/err.h"

#include "chart.h"

#define FONT "Liberation Sans"
#define LABEL_MAX 40 /* bytes of a bar's label that are drawn */

static cairo_status_t
write_png(void *closure, const unsigned char *data, unsigned int len)
{
	return buf_add(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* Draw text with its anchor at (x, y): ax, ay 0 left/top, 0.5 centre, 1 right/bottom. */
static void
text(cairo_t *cr, PangoLayout *lay, const char *s, size_t n, double pt, int bold, double x,
     double y, double ax, double ay, double angle)
{
	PangoFontDescription *fd = pango_font_description_from_string(FONT);
	int w, h;

	pango_font_description_set_absolute_size(fd, pt * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_text(lay, s, (int)n);
	pango_layout_get_pixel_size(lay, &w, &h);
	cairo_save(cr);
	cairo_translate(cr, x, y);
	cairo_rotate(cr, angle);
	cairo_move_to(cr, -ax * w, -ay * h);
	pango_cairo_show_layout(cr, lay);
	cairo_restore(cr);
}

static double
num(const struct value *v, double def)
{
	return v != NULL && v->type == VALUE_NUMBER ? v->num : def;
}

/* A label cut at a character boundary. */
static size_t
cut(const char *s, size_t n)
{
	if (n <= LABEL_MAX)
		return n;
	n = LABEL_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

int
chart_png(const struct value *spec, struct buf *png, char *err, size_t errlen)
{
	const struct value *bars = value_get(spec, "bars"), *title = value_get(spec, "title");
	const struct value *unit = value_get(spec, "unit");
	const double W = CHART_WIDTH_PX, H = CHART_HEIGHT_PX;
	double left = 80, right = 30, top = 60, bottom = 70, max, target, plotw, ploth, slot;
	cairo_surface_t *s;
	PangoLayout *lay;
	cairo_t *cr;
	char lab[64];
	int rc = 0;

	if (spec->type != VALUE_OBJECT || bars == NULL || bars->type != VALUE_ARRAY) {
		snprintf(err, errlen, "a chart needs an object with a list \"bars\"");
		return VIGIL_ERR_INVAL;
	}
	if (bars->n > CHART_MAX_BARS) {
		snprintf(err, errlen, "a chart has more than %d bars", CHART_MAX_BARS);
		return VIGIL_ERR_INVAL;
	}
	max = num(value_get(spec, "max"), 0);
	for (size_t i = 0; i < bars->n; i++) {
		const struct value *v = value_get(&bars->items[i], "value");

		if (v == NULL || v->type != VALUE_NUMBER || v->num < 0) {
			snprintf(err, errlen, "bar %zu of the chart has no value of 0 or more",
			         i + 1);
			return VIGIL_ERR_INVAL;
		}
		if (v->num > max)
			max = v->num;
	}
	if (max <= 0)
		max = 1;
	target = num(value_get(spec, "target"), -1);

	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)W, (int)H);
	cr = cairo_create(s);
	lay = pango_cairo_create_layout(cr);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	plotw = W - left - right;
	ploth = H - top - bottom;
	cairo_set_source_rgb(cr, 0, 0, 0);
	if (title != NULL && title->type == VALUE_STRING)
		text(cr, lay, title->str, title->len, 26, 1, W / 2, 12, 0.5, 0, 0);
	/* Grid lines at each quarter of the scale, with their values. */
	cairo_set_line_width(cr, 1);
	for (int q = 0; q <= 4; q++) {
		double y = top + ploth - ploth * q / 4;
		int len;

		cairo_set_source_rgb(cr, 0.82, 0.82, 0.82);
		cairo_move_to(cr, left, y + 0.5);
		cairo_line_to(cr, left + plotw, y + 0.5);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		len = snprintf(
		    lab, sizeof(lab), "%g%s", round(max * q / 4 * 10) / 10,
		    unit != NULL && unit->type == VALUE_STRING && unit->len < 8 ? unit->str : "");
		text(cr, lay, lab, (size_t)len, 18, 0, left - 8, y, 1, 0.5, 0);
	}
	slot = bars->n > 0 ? plotw / (double)bars->n : plotw;
	for (size_t i = 0; i < bars->n; i++) {
		const struct value *b = &bars->items[i], *l = value_get(b, "label");
		double v = value_get(b, "value")->num, h = ploth * v / max;
		double x = left + slot * (double)i + slot * 0.15, w = slot * 0.7;

		if (target >= 0 && v >= target)
			cairo_set_source_rgb(cr, 0.13, 0.37, 0.66);
		else
			cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
		cairo_rectangle(cr, x, top + ploth - h, w, h);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0, 0, 0);
		if (l != NULL && l->type == VALUE_STRING && (bars->n <= 31 || i % 5 == 0))
			text(cr, lay, l->str, cut(l->str, l->len), 17, 0, x + w / 2,
			     top + ploth + 6, bars->n > 16 ? 1 : 0.5, bars->n > 16 ? 0.5 : 0,
			     bars->n > 16 ? -M_PI / 3 : 0);
		if (bars->n <= 12) {
			int len = snprintf(lab, sizeof(lab), "%g", round(v * 10) / 10);

			text(cr, lay, lab, (size_t)len, 17, 0, x + w / 2, top + ploth - h - 4, 0.5,
			     1, 0);
		}
	}
	/* The axis, then the target on top of the bars. */
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 2);
	cairo_move_to(cr, left, top + ploth);
	cairo_line_to(cr, left + plotw, top + ploth);
	cairo_stroke(cr);
	if (target >= 0 && target <= max) {
		double y = top + ploth - ploth * target / max, dash[] = {10, 6};
		int len = snprintf(lab, sizeof(lab), "%g", target);

		cairo_set_source_rgb(cr, 0.8, 0.1, 0.1);
		cairo_set_dash(cr, dash, 2, 0);
		cairo_move_to(cr, left, y);
		cairo_line_to(cr, left + plotw, y);
		cairo_stroke(cr);
		cairo_set_dash(cr, NULL, 0, 0);
		text(cr, lay, lab, (size_t)len, 17, 1, left + plotw, y - 3, 1, 1, 0);
	}
	g_object_unref(lay);
	cairo_destroy(cr);
	cairo_surface_flush(s);
	if (cairo_surface_write_to_png_stream(s, write_png, png) != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "the chart could not be written as PNG");
		rc = buf_error(png) != 0 ? buf_error(png) : VIGIL_ERR_INVAL;
	}
	cairo_surface_destroy(s);
	return rc;
}

void
chart_cleanup(void)
{
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	FcFini();
}
