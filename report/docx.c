/*
 * DOCX files in and out, with libzip. See docx.h.
 *
 * A DOCX is read whole into memory, every part unpacked, within hard limits
 * on the number of files and their unpacked sizes, so a zip bomb stops at
 * the limit; libzip checks each part's CRC as it is read. Filling replaces
 * the text parts in memory and may add pictures; writing packs every part
 * afresh into a new zip in memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zip.h>

#include "vigil/err.h"

#include "chart.h"
#include "docx.h"

#define RELS "word/_rels/document.xml.rels"
#define TYPES "[Content_Types].xml"
/* 2026-01-01 00:00 UTC: every part gets it, so the same input gives the same bytes. */
#define FIXED_MTIME ((time_t)1767225600)

struct part {
	char *name;
	unsigned char *data;
	size_t len;
};

struct docx {
	struct part *parts;
	size_t n, cap, total;
	size_t charts; /* pictures added by filling */
};

struct docx *
docx_new(void)
{
	return calloc(1, sizeof(struct docx));
}

void
docx_free(struct docx *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->parts[i].name);
		free(d->parts[i].data);
	}
	free(d->parts);
	free(d);
}

static struct part *
find(const struct docx *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->parts[i].name, name) == 0)
			return &d->parts[i];
	return NULL;
}

/* Take data (malloc'd, len bytes, NUL after it) as the content of name, new or replaced. */
static int
put(struct docx *d, const char *name, unsigned char *data, size_t len)
{
	struct part *p = find(d, name);

	if (p != NULL) {
		d->total -= p->len;
		free(p->data);
	} else {
		if (d->n >= DOCX_MAX_ENTRIES) {
			free(data);
			return VIGIL_ERR_TOOBIG;
		}
		if (d->n == d->cap) {
			size_t ncap = d->cap == 0 ? 32 : d->cap * 2;
			struct part *q = realloc(d->parts, ncap * sizeof(*q));

			if (q == NULL) {
				free(data);
				return VIGIL_ERR_NOMEM;
			}
			d->parts = q;
			d->cap = ncap;
		}
		p = &d->parts[d->n];
		if ((p->name = strdup(name)) == NULL) {
			free(data);
			return VIGIL_ERR_NOMEM;
		}
		d->n++;
	}
	p->data = data;
	p->len = len;
	d->total += len;
	return d->total > DOCX_MAX_TOTAL ? VIGIL_ERR_TOOBIG : 0;
}

int
docx_add(struct docx *d, const char *name, const void *data, size_t len)
{
	unsigned char *copy;

	if (len > DOCX_MAX_PART)
		return VIGIL_ERR_TOOBIG;
	if ((copy = malloc(len + 1)) == NULL)
		return VIGIL_ERR_NOMEM;
	memcpy(copy, data, len);
	copy[len] = '\0';
	return put(d, name, copy, len);
}

int
docx_open(const void *data, size_t len, struct docx **out, char *err, size_t errlen)
{
	zip_error_t zerr;
	zip_source_t *src;
	struct docx *d;
	zip_int64_t n;
	zip_t *za;
	int rc = 0;

	*out = NULL;
	zip_error_init(&zerr);
	if ((src = zip_source_buffer_create(data, len, 0, &zerr)) == NULL) {
		snprintf(err, errlen, "cannot read the template: %s", zip_error_strerror(&zerr));
		zip_error_fini(&zerr);
		return VIGIL_ERR_NOMEM;
	}
	if ((za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr)) == NULL) {
		snprintf(err, errlen, "not a DOCX (a zip file): %s", zip_error_strerror(&zerr));
		zip_source_free(src);
		zip_error_fini(&zerr);
		return VIGIL_ERR_INVAL;
	}
	zip_error_fini(&zerr);
	if ((d = docx_new()) == NULL) {
		zip_discard(za);
		return VIGIL_ERR_NOMEM;
	}
	n = zip_get_num_entries(za, 0);
	if (n < 0 || n > DOCX_MAX_ENTRIES) {
		snprintf(err, errlen, "the DOCX holds more than %d files", DOCX_MAX_ENTRIES);
		rc = VIGIL_ERR_TOOBIG;
	}
	for (zip_int64_t i = 0; rc == 0 && i < n; i++) {
		zip_stat_t st;
		zip_file_t *zf;
		unsigned char *buf;
		zip_int64_t got;

		if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 ||
		    !(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_NAME)) {
			snprintf(err, errlen, "entry %lld of the DOCX cannot be read",
			         (long long)i);
			rc = VIGIL_ERR_INVAL;
			break;
		}
		if (st.name[0] != '\0' && st.name[strlen(st.name) - 1] == '/')
			continue; /* a folder */
		if (st.size > DOCX_MAX_PART || d->total + st.size > DOCX_MAX_TOTAL) {
			snprintf(err, errlen, "%.200s: the DOCX unpacks to more than %u bytes",
			         st.name, st.size > DOCX_MAX_PART ? DOCX_MAX_PART : DOCX_MAX_TOTAL);
			rc = VIGIL_ERR_TOOBIG;
			break;
		}
		if ((buf = malloc(st.size + 1)) == NULL) {
			rc = VIGIL_ERR_NOMEM;
			break;
		}
		if ((zf = zip_fopen_index(za, (zip_uint64_t)i, 0)) == NULL) {
			snprintf(err, errlen, "%.200s: %s", st.name, zip_strerror(za));
			free(buf);
			rc = VIGIL_ERR_INVAL;
			break;
		}
		got = zip_fread(zf, buf, st.size);
		/* One more byte than declared would mean the header lied. */
		if (got != (zip_int64_t)st.size || zip_fread(zf, buf + st.size, 1) != 0) {
			snprintf(err, errlen, "%.200s: the DOCX is damaged (%s)", st.name,
			         zip_file_strerror(zf));
			zip_fclose(zf);
			free(buf);
			rc = VIGIL_ERR_INVAL;
			break;
		}
		zip_fclose(zf);
		buf[st.size] = '\0';
		if ((rc = put(d, st.name, buf, st.size)) != 0)
			snprintf(err, errlen, "the DOCX is too large");
	}
	zip_discard(za);
	if (rc == 0 && (find(d, "word/document.xml") == NULL || find(d, TYPES) == NULL)) {
		snprintf(err, errlen,
		         "not a DOCX: it has no word/document.xml or [Content_Types].xml");
		rc = VIGIL_ERR_INVAL;
	}
	if (rc != 0) {
		docx_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* The parts that hold text to fill: the document, its headers and footers. */
static int
fillable(const char *name)
{
	size_t n = strlen(name);

	if (n < 4 || strcmp(name + n - 4, ".xml") != 0 || strchr(name + 5, '/') != NULL)
		return 0;
	return strcmp(name, "word/document.xml") == 0 || strncmp(name, "word/header", 11) == 0 ||
	       strncmp(name, "word/footer", 11) == 0;
}

/* Insert text before the last occurrence of `before` in the part (a closing tag). */
static int
insert_before(struct docx *d, const char *name, const char *before, const char *text)
{
	struct part *p = find(d, name);
	unsigned char *q, *at = NULL;
	size_t tl = strlen(text), bl = strlen(before);

	if (p == NULL)
		return VIGIL_ERR_NOTFOUND;
	for (size_t i = p->len >= bl ? p->len - bl + 1 : 0; i-- > 0;)
		if (memcmp(p->data + i, before, bl) == 0) {
			at = p->data + i;
			break;
		}
	if (at == NULL)
		return VIGIL_ERR_INVAL;
	if ((q = malloc(p->len + tl + 1)) == NULL)
		return VIGIL_ERR_NOMEM;
	memcpy(q, p->data, (size_t)(at - p->data));
	memcpy(q + (at - p->data), text, tl);
	memcpy(q + (at - p->data) + tl, at, p->len - (size_t)(at - p->data));
	q[p->len + tl] = '\0';
	return put(d, name, q, p->len + tl);
}

struct filling {
	struct docx *d;
	const char *part;
};

/* {{%chart FIELD}}: a PNG part, its relationship, and the drawing that shows it. */
static int
picture(void *arg, struct buf *out, const char *kind, const struct value *v, char *err,
        size_t errlen)
{
	struct filling *f = arg;
	struct docx *d = f->d;
	char name[64], rel[512];
	long long cx = 5760000, cy = 2520000; /* 16 cm × 7 cm in EMU */
	struct buf png;
	int rc;

	if (strcmp(kind, "chart") != 0) {
		snprintf(err, errlen, "unknown picture \"%s\" (only chart)", kind);
		return VIGIL_ERR_INVAL;
	}
	if (strcmp(f->part, "word/document.xml") != 0) {
		snprintf(err, errlen, "a chart can only be in the document's body");
		return VIGIL_ERR_INVAL;
	}
	if (d->charts >= 16) {
		snprintf(err, errlen, "more than 16 charts");
		return VIGIL_ERR_TOOBIG;
	}
	buf_init(&png, 8u << 20);
	if ((rc = chart_png(v, &png, err, errlen)) != 0) {
		buf_free(&png);
		return rc;
	}
	d->charts++;
	snprintf(name, sizeof(name), "word/media/vigil-chart%zu.png", d->charts);
	if ((rc = put(d, name, (unsigned char *)buf_take(&png, NULL), png.len)) != 0)
		return rc;
	if (find(d, RELS) == NULL) {
		static const char empty[] =
		    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships "
		    "xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"></"
		    "Relationships>";

		if ((rc = docx_add(d, RELS, empty, sizeof(empty) - 1)) != 0)
			return rc;
	}
	snprintf(rel, sizeof(rel),
	         "<Relationship Id=\"rIdVigilChart%zu\" Type=\"http://schemas.openxmlformats.org/"
	         "officeDocument/2006/relationships/image\" Target=\"media/vigil-chart%zu.png\"/>",
	         d->charts, d->charts);
	if ((rc = insert_before(d, RELS, "</Relationships>", rel)) != 0) {
		snprintf(err, errlen, "%s is not a relationships part", RELS);
		return rc;
	}
	if (strstr((const char *)find(d, TYPES)->data, "Extension=\"png\"") == NULL &&
	    (rc = insert_before(d, TYPES, "</Types>",
	                        "<Default Extension=\"png\" ContentType=\"image/png\"/>")) != 0) {
		snprintf(err, errlen, "%s is damaged", TYPES);
		return rc;
	}
	return buf_printf(
	    out,
	    "</w:t><w:drawing><wp:inline distT=\"0\" distB=\"0\" distL=\"0\" distR=\"0\" "
	    "xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\">"
	    "<wp:extent cx=\"%lld\" cy=\"%lld\"/><wp:docPr id=\"%zu\" name=\"Vigil chart %zu\"/>"
	    "<a:graphic xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\">"
	    "<a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">"
	    "<pic:pic xmlns:pic=\"http://schemas.openxmlformats.org/drawingml/2006/picture\">"
	    "<pic:nvPicPr><pic:cNvPr id=\"0\" "
	    "name=\"vigil-chart%zu.png\"/><pic:cNvPicPr/></pic:nvPicPr>"
	    "<pic:blipFill><a:blip r:embed=\"rIdVigilChart%zu\" "
	    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"/>"
	    "<a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x=\"0\" "
	    "y=\"0\"/>"
	    "<a:ext cx=\"%lld\" cy=\"%lld\"/></a:xfrm><a:prstGeom "
	    "prst=\"rect\"><a:avLst/></a:prstGeom>"
	    "</pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>"
	    "<w:t xml:space=\"preserve\">",
	    cx, cy, 9000 + d->charts, d->charts, d->charts, d->charts, cx, cy);
}

/* Prepare and parse one part as a template. */
static int
part_template(const struct part *p, const struct tmpl_limits *lim, struct tmpl **t, char *err,
              size_t errlen)
{
	char msg[768];
	struct buf prep;
	int rc;

	buf_init(&prep, p->len * 2 + (1u << 20));
	if ((rc = docx_prepare((const char *)p->data, p->len, &prep, msg, sizeof(msg))) != 0) {
		snprintf(err, errlen, "%s: %s", p->name, msg);
		buf_free(&prep);
		return rc == VIGIL_ERR_INVAL ? VIGIL_ERR_CONFIG : rc;
	}
	rc = tmpl_parse(prep.p != NULL ? prep.p : "", prep.len, lim, t, msg, sizeof(msg));
	if (rc != 0)
		/* Lines and columns of the prepared XML mean nothing to a person: the tag does. */
		snprintf(err, errlen, "%s: %s", p->name,
		         strstr(msg, ": {{") != NULL ? strstr(msg, ": {{") + 2 : msg);
	buf_free(&prep);
	return rc == VIGIL_ERR_INVAL ? VIGIL_ERR_CONFIG : rc;
}

int
docx_fill(struct docx *d, const struct value *data, const struct tmpl_limits *lim, char *err,
          size_t errlen)
{
	size_t n = d->n; /* parts added while filling (pictures) are not filled */

	for (size_t i = 0; i < n; i++) {
		struct filling f = {d, d->parts[i].name};
		struct tmpl_output o = {tmpl_escape_wordml, picture, &f};
		struct tmpl *t = NULL;
		char msg[768], name[256];
		struct buf out;
		int rc;

		if (!fillable(d->parts[i].name))
			continue;
		snprintf(name, sizeof(name), "%s", d->parts[i].name);
		if ((rc = part_template(&d->parts[i], lim, &t, err, errlen)) != 0)
			return rc;
		buf_init(&out, lim != NULL ? lim->max_output : tmpl_default_limits.max_output);
		rc = tmpl_render(t, data, &o, &out, msg, sizeof(msg));
		tmpl_free(t);
		if (rc != 0) {
			snprintf(err, errlen, "%s: %s", name, msg);
			buf_free(&out);
			return rc;
		}
		{
			size_t len = out.len;

			if ((rc = put(d, name, (unsigned char *)buf_take(&out, NULL), len)) != 0) {
				snprintf(err, errlen, "the filled DOCX is too large");
				return rc;
			}
		}
	}
	return 0;
}

int
docx_fields(struct docx *d, void (*fn)(void *arg, const char *path, int required, const char *loop),
            void *arg, char *err, size_t errlen)
{
	for (size_t i = 0; i < d->n; i++) {
		struct tmpl *t = NULL;
		int rc;

		if (!fillable(d->parts[i].name))
			continue;
		if ((rc = part_template(&d->parts[i], NULL, &t, err, errlen)) != 0)
			return rc;
		tmpl_fields(t, fn, arg);
		tmpl_free(t);
	}
	return 0;
}

int
docx_write(const struct docx *d, struct buf *out, char *err, size_t errlen)
{
	zip_error_t zerr;
	zip_source_t *src;
	zip_stat_t st;
	zip_t *za;
	int rc = 0;

	zip_error_init(&zerr);
	if ((src = zip_source_buffer_create(NULL, 0, 0, &zerr)) == NULL ||
	    (za = zip_open_from_source(src, ZIP_TRUNCATE, &zerr)) == NULL) {
		snprintf(err, errlen, "cannot make a zip: %s", zip_error_strerror(&zerr));
		if (src != NULL)
			zip_source_free(src);
		zip_error_fini(&zerr);
		return VIGIL_ERR_NOMEM;
	}
	zip_error_fini(&zerr);
	zip_source_keep(src);
	for (size_t i = 0; i < d->n && rc == 0; i++) {
		zip_source_t *ps = zip_source_buffer(za, d->parts[i].data, d->parts[i].len, 0);
		zip_int64_t idx;

		if (ps == NULL ||
		    (idx = zip_file_add(za, d->parts[i].name, ps, ZIP_FL_ENC_UTF_8)) < 0) {
			snprintf(err, errlen, "%s: %s", d->parts[i].name, zip_strerror(za));
			if (ps != NULL)
				zip_source_free(ps);
			rc = VIGIL_ERR_INVAL;
			break;
		}
		zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 6);
		zip_file_set_mtime(za, (zip_uint64_t)idx, FIXED_MTIME, 0);
	}
	if (rc != 0) {
		zip_discard(za);
		zip_source_free(src);
		return rc;
	}
	if (zip_close(za) != 0) {
		snprintf(err, errlen, "cannot write the zip: %s", zip_strerror(za));
		zip_discard(za);
		zip_source_free(src);
		return VIGIL_ERR_INVAL;
	}
	if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0) {
		snprintf(err, errlen, "cannot read the zip back: %s",
		         zip_error_strerror(zip_source_error(src)));
		zip_source_free(src);
		return VIGIL_ERR_INVAL;
	}
	for (;;) {
		char chunk[65536];
		zip_int64_t got = zip_source_read(src, chunk, sizeof(chunk));

		if (got < 0) {
			snprintf(err, errlen, "cannot read the zip back");
			rc = VIGIL_ERR_INVAL;
			break;
		}
		if (got == 0)
			break;
		if ((rc = buf_add(out, chunk, (size_t)got)) != 0) {
			snprintf(err, errlen, "the DOCX is larger than %zu bytes", out->cap);
			break;
		}
	}
	zip_source_close(src);
	zip_source_free(src);
	return rc;
}

/* The pictures of the document, found through its relationships. */
static int
media_get(void *arg, const char *rid, const unsigned char **data, size_t *len, const char **mime)
{
	const struct docx *d = arg;
	const struct part *rels = find(d, RELS), *p;
	char key[96], path[512];
	const char *at, *target, *q;
	size_t tl;

	if (rels == NULL || snprintf(key, sizeof(key), "Id=\"%s\"", rid) >= (int)sizeof(key))
		return -1;
	if ((at = strstr((const char *)rels->data, key)) == NULL)
		return -1;
	/* The Target of the same <Relationship …/> element. */
	q = at;
	while (q > (const char *)rels->data && *q != '<')
		q--;
	if ((target = strstr(q, "Target=\"")) == NULL || (at = strchr(q, '>')) == NULL ||
	    target > at)
		return -1;
	target += 8;
	tl = strcspn(target, "\"");
	if (tl == 0 || tl > 400)
		return -1;
	if (target[0] == '/')
		snprintf(path, sizeof(path), "%.*s", (int)tl - 1, target + 1);
	else
		snprintf(path, sizeof(path), "word/%.*s", (int)tl, target);
	if ((p = find(d, path)) == NULL || p->len < 8)
		return -1;
	if (memcmp(p->data, "\x89PNG", 4) == 0)
		*mime = "image/png";
	else if (memcmp(p->data, "\xff\xd8\xff", 3) == 0)
		*mime = "image/jpeg";
	else
		return -1;
	*data = p->data;
	*len = p->len;
	return 0;
}

int
docx_html(const struct docx *d, const char *title, struct buf *out, size_t *skipped, char *err,
          size_t errlen)
{
	const struct part *doc = find(d, "word/document.xml");
	struct docx_media media = {media_get, (void *)(uintptr_t)d};

	if (doc == NULL) {
		snprintf(err, errlen, "the DOCX has no word/document.xml");
		return VIGIL_ERR_INVAL;
	}
	return docx_to_html((const char *)doc->data, doc->len, title, &media, out, skipped, err,
	                    errlen);
}
