/*
 * The periodic summary's chart: a bar chart drawn with cairo, its words set
 * with pango (so Vietnamese diacritics are shaped right), written as a PNG
 * that the DOCX embeds and the HTML carries as a data: URL. Part of the
 * renderer only.
 *
 * It is drawn from a JSON object of the report's data:
 *
 *   {"title": "Tỷ lệ máy tuân thủ theo ngày", "unit": "%", "max": 100,
 *    "target": 100, "bars": [{"label": "01", "value": 92.5}, …]}
 *
 * title, unit, max (default: the largest value) and target (a dashed line)
 * are optional; at most CHART_MAX_BARS bars.
 */
#ifndef VIGIL_REPORT_CHART_H
#define VIGIL_REPORT_CHART_H

#include "vigil/buf.h"
#include "value.h"

#define CHART_MAX_BARS 400
#define CHART_WIDTH_PX 1260 /* 16 cm at 200 dots per inch */
#define CHART_HEIGHT_PX 551 /* 7 cm */

/* Draw spec as a PNG into png. Returns 0, or VIGIL_ERR_INVAL with a sentence in err. */
int chart_png(const struct value *spec, struct buf *png, char *err, size_t errlen);

/*
 * Give back what pango, cairo and fontconfig keep for the life of the
 * process (font maps, caches): nothing a short-lived renderer needs to free,
 * but a leak checker counts it. Call once, when no chart is being drawn.
 */
void chart_cleanup(void);

#endif
