/*
 * WMI queries and the Windows Update Agent through COM (see wmi.h).
 */
#define COBJMACROS
#include <winsock2.h>
#include <windows.h>
#include <objbase.h>
#include <oleauto.h>
#include <wbemcli.h>
#include <wuapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wmi.h"
#include "../../common/windows/utf16.h"

/* The Update Agent's class and interfaces (wuapi.h declares them; no import library defines them). */
static const GUID clsid_update_session =
    { 0x4cb43d7f, 0x7eee, 0x4906, { 0x86, 0x98, 0x60, 0xda, 0x1c, 0x38, 0xf2, 0xfe } };
static const GUID iid_update_session =
    { 0x816858a4, 0x260d, 0x4260, { 0x93, 0x3a, 0x25, 0x85, 0xf1, 0xab, 0xc7, 0x6b } };

int
wincom_init(char *why, size_t whylen)
{
	HRESULT hr;

	hr = CoInitializeEx(NULL, COINIT_MULTITHREADED);
	if (FAILED(hr) && hr != RPC_E_CHANGED_MODE) {
		snprintf(why, whylen, "COM does not start (0x%08lx)", (unsigned long)hr);
		return -1;
	}
	/* Once per process; a second call says RPC_E_TOO_LATE, which is fine. */
	hr = CoInitializeSecurity(NULL, -1, NULL, NULL, RPC_C_AUTHN_LEVEL_DEFAULT,
	    RPC_C_IMP_LEVEL_IMPERSONATE, NULL, EOAC_NONE, NULL);
	(void)hr;
	return 0;
}

void
wincom_done(void)
{
	CoUninitialize();
}

/* One value as text on one line: newlines become spaces (a record is lines). */
static void
put_value(struct sbuf *out, const VARIANT *v)
{
	char *u, *p;

	switch (V_VT(v)) {
	case VT_BSTR:
		if (V_BSTR(v) == NULL || (u = win_utf8(V_BSTR(v))) == NULL)
			return;
		for (p = u; *p != '\0'; p++)
			if (*p == '\r' || *p == '\n')
				*p = ' ';
		sbuf_str(out, u);
		free(u);
		break;
	case VT_BOOL:
		sbuf_str(out, V_BOOL(v) ? "TRUE" : "FALSE");
		break;
	case VT_I1: case VT_I2: case VT_I4: case VT_INT:
		sbuf_printf(out, "%ld", (long)(V_VT(v) == VT_I2 ? V_I2(v) : V_VT(v) == VT_I1 ?
		    V_I1(v) : V_I4(v)));
		break;
	case VT_UI1: case VT_UI2: case VT_UI4: case VT_UINT:
		sbuf_printf(out, "%lu", (unsigned long)(V_VT(v) == VT_UI1 ? V_UI1(v) :
		    V_VT(v) == VT_UI2 ? V_UI2(v) : V_UI4(v)));
		break;
	case VT_I8:
		sbuf_printf(out, "%lld", (long long)V_I8(v));
		break;
	case VT_UI8:
		sbuf_printf(out, "%llu", (unsigned long long)V_UI8(v));
		break;
	default:
		break;                     /* NULL, arrays: empty */
	}
}

static void
put_name(struct sbuf *out, const wchar_t *name)
{
	char *u;

	if ((u = win_utf8(name)) != NULL) {
		sbuf_str(out, u);
		free(u);
	}
	sbuf_str(out, "=");
}

int
wmi_query(const wchar_t *ns, const wchar_t *wql, const wchar_t *const *props,
    struct sbuf *out, char *why, size_t whylen)
{
	IWbemLocator *loc = NULL;
	IWbemServices *svc = NULL;
	IEnumWbemClassObject *en = NULL;
	IWbemClassObject *obj;
	BSTR bns = NULL, blang = NULL, bq = NULL;
	ULONG got;
	VARIANT v;
	HRESULT hr;
	int n = -1;
	size_t i;

	hr = CoCreateInstance(&CLSID_WbemLocator, NULL, CLSCTX_INPROC_SERVER, &IID_IWbemLocator,
	    (void **)&loc);
	if (FAILED(hr) || loc == NULL) {
		snprintf(why, whylen, "WMI is not there (0x%08lx)", (unsigned long)hr);
		goto out;
	}
	bns = SysAllocString(ns);
	blang = SysAllocString(L"WQL");
	bq = SysAllocString(wql);
	if (bns == NULL || blang == NULL || bq == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	hr = IWbemLocator_ConnectServer(loc, bns, NULL, NULL, NULL, 0, NULL, NULL, &svc);
	if (FAILED(hr) || svc == NULL) {
		/* 0x8004100E: the namespace does not exist (Wine; a server without Security Center). */
		snprintf(why, whylen, "the WMI namespace does not answer (0x%08lx)", (unsigned long)hr);
		goto out;
	}
	CoSetProxyBlanket((IUnknown *)svc, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE, NULL,
	    RPC_C_AUTHN_LEVEL_CALL, RPC_C_IMP_LEVEL_IMPERSONATE, NULL, EOAC_NONE);
	hr = IWbemServices_ExecQuery(svc, blang, bq, WBEM_FLAG_FORWARD_ONLY |
	    WBEM_FLAG_RETURN_IMMEDIATELY, NULL, &en);
	if (FAILED(hr) || en == NULL) {
		snprintf(why, whylen, "the WMI query fails (0x%08lx)", (unsigned long)hr);
		goto out;
	}
	n = 0;
	for (;;) {
		obj = NULL;
		got = 0;
		hr = IEnumWbemClassObject_Next(en, 30000, 1, &obj, &got);
		if (hr != WBEM_S_NO_ERROR || got == 0 || obj == NULL) {
			if (FAILED(hr)) {
				snprintf(why, whylen, "reading the WMI answer fails (0x%08lx)",
				    (unsigned long)hr);
				n = -1;
			}
			break;
		}
		for (i = 0; props[i] != NULL; i++) {
			VariantInit(&v);
			if (SUCCEEDED(IWbemClassObject_Get(obj, props[i], 0, &v, NULL, NULL))) {
				put_name(out, props[i]);
				put_value(out, &v);
				sbuf_str(out, "\r\n");
			}
			VariantClear(&v);
		}
		sbuf_str(out, "\r\n");
		IWbemClassObject_Release(obj);
		n++;
	}
out:
	if (en != NULL)
		IEnumWbemClassObject_Release(en);
	if (svc != NULL)
		IWbemServices_Release(svc);
	if (loc != NULL)
		IWbemLocator_Release(loc);
	SysFreeString(bns);
	SysFreeString(blang);
	SysFreeString(bq);
	return n;
}

static void
put_bstr(struct sbuf *out, const char *name, BSTR b)
{
	VARIANT v;

	VariantInit(&v);
	V_VT(&v) = VT_BSTR;
	V_BSTR(&v) = b;
	sbuf_str(out, name);
	sbuf_str(out, "=");
	put_value(out, &v);
	sbuf_str(out, "\r\n");
}

static IUpdateSession *
session(char *why, size_t whylen)
{
	IUpdateSession *s = NULL;
	HRESULT hr;

	hr = CoCreateInstance(&clsid_update_session, NULL, CLSCTX_INPROC_SERVER,
	    &iid_update_session, (void **)&s);
	if (FAILED(hr) || s == NULL) {
		snprintf(why, whylen, "the Windows Update Agent is not there (0x%08lx)",
		    (unsigned long)hr);
		return NULL;
	}
	return s;
}

/* A CIM datetime of an OLE date (days since 1899-12-30, UTC for the Update Agent). */
static void
put_date(struct sbuf *out, DATE d)
{
	SYSTEMTIME st;

	if (!VariantTimeToSystemTime(d, &st))
		return;
	sbuf_printf(out, "Date=%04u%02u%02u%02u%02u%02u.000000+000\r\n", st.wYear, st.wMonth,
	    st.wDay, st.wHour, st.wMinute, st.wSecond);
}

int
wua_search(struct sbuf *out, char *why, size_t whylen)
{
	IUpdateSession *s;
	IUpdateSearcher *se = NULL;
	ISearchResult *res = NULL;
	IUpdateCollection *ups = NULL;
	IUpdate *u;
	ICategoryCollection *cats;
	ICategory *c;
	BSTR q = NULL, b;
	LONG n = 0, nc, i, k;
	HRESULT hr;
	int rc = -1;

	if ((s = session(why, whylen)) == NULL)
		return -1;
	hr = IUpdateSession_CreateUpdateSearcher(s, &se);
	if (FAILED(hr) || se == NULL) {
		snprintf(why, whylen, "no update searcher (0x%08lx)", (unsigned long)hr);
		goto out;
	}
	q = SysAllocString(L"IsInstalled=0 and IsHidden=0");
	hr = IUpdateSearcher_Search(se, q, &res);
	if (FAILED(hr) || res == NULL) {
		snprintf(why, whylen, "the update search fails (0x%08lx)", (unsigned long)hr);
		goto out;
	}
	hr = ISearchResult_get_Updates(res, &ups);
	if (FAILED(hr) || ups == NULL || FAILED(IUpdateCollection_get_Count(ups, &n))) {
		snprintf(why, whylen, "the update search has no result (0x%08lx)", (unsigned long)hr);
		goto out;
	}
	for (i = 0; i < n; i++) {
		u = NULL;
		if (FAILED(IUpdateCollection_get_Item(ups, i, &u)) || u == NULL)
			continue;
		b = NULL;
		if (SUCCEEDED(IUpdate_get_Title(u, &b)) && b != NULL) {
			put_bstr(out, "Title", b);
			SysFreeString(b);
		}
		b = NULL;
		if (SUCCEEDED(IUpdate_get_MsrcSeverity(u, &b))) {
			put_bstr(out, "MsrcSeverity", b);
			SysFreeString(b);
		}
		cats = NULL;
		nc = 0;
		if (SUCCEEDED(IUpdate_get_Categories(u, &cats)) && cats != NULL &&
		    SUCCEEDED(ICategoryCollection_get_Count(cats, &nc))) {
			for (k = 0; k < nc; k++) {
				c = NULL;
				if (FAILED(ICategoryCollection_get_Item(cats, k, &c)) || c == NULL)
					continue;
				b = NULL;
				if (SUCCEEDED(ICategory_get_Type(c, &b)) && b != NULL &&
				    wcscmp(b, L"UpdateClassification") == 0) {
					BSTR id = NULL, name = NULL;

					if (SUCCEEDED(ICategory_get_CategoryID(c, &id)))
						put_bstr(out, "ClassificationID", id);
					if (SUCCEEDED(ICategory_get_Name(c, &name)))
						put_bstr(out, "Classification", name);
					SysFreeString(id);
					SysFreeString(name);
				}
				SysFreeString(b);
				ICategory_Release(c);
			}
			ICategoryCollection_Release(cats);
		}
		sbuf_str(out, "\r\n");
		IUpdate_Release(u);
	}
	rc = (int)n;
out:
	if (ups != NULL)
		IUpdateCollection_Release(ups);
	if (res != NULL)
		ISearchResult_Release(res);
	if (se != NULL)
		IUpdateSearcher_Release(se);
	SysFreeString(q);
	IUpdateSession_Release(s);
	return rc;
}

int
wua_history(struct sbuf *out, char *why, size_t whylen)
{
	IUpdateSession *s;
	IUpdateSearcher *se = NULL;
	IUpdateHistoryEntryCollection *h = NULL;
	IUpdateHistoryEntry *e;
	UpdateOperation op;
	OperationResultCode rc2;
	LONG total = 0, n = 0, i;
	DATE d;
	BSTR b;
	HRESULT hr;
	int rc = -1;

	if ((s = session(why, whylen)) == NULL)
		return -1;
	hr = IUpdateSession_CreateUpdateSearcher(s, &se);
	if (FAILED(hr) || se == NULL || FAILED(IUpdateSearcher_GetTotalHistoryCount(se, &total))) {
		snprintf(why, whylen, "no update history (0x%08lx)", (unsigned long)hr);
		goto out;
	}
	if (total > 200)
		total = 200;           /* newest first: the last install is among them */
	hr = IUpdateSearcher_QueryHistory(se, 0, total, &h);
	if (FAILED(hr) || h == NULL || FAILED(IUpdateHistoryEntryCollection_get_Count(h, &n))) {
		snprintf(why, whylen, "the update history does not answer (0x%08lx)",
		    (unsigned long)hr);
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = NULL;
		if (FAILED(IUpdateHistoryEntryCollection_get_Item(h, i, &e)) || e == NULL)
			continue;
		b = NULL;
		if (SUCCEEDED(IUpdateHistoryEntry_get_Title(e, &b)) && b != NULL) {
			put_bstr(out, "Title", b);
			SysFreeString(b);
		}
		if (SUCCEEDED(IUpdateHistoryEntry_get_Operation(e, &op)))
			sbuf_printf(out, "Operation=%d\r\n", (int)op);
		if (SUCCEEDED(IUpdateHistoryEntry_get_ResultCode(e, &rc2)))
			sbuf_printf(out, "ResultCode=%d\r\n", (int)rc2);
		if (SUCCEEDED(IUpdateHistoryEntry_get_Date(e, &d)))
			put_date(out, d);
		sbuf_str(out, "\r\n");
		IUpdateHistoryEntry_Release(e);
	}
	rc = (int)n;
out:
	if (h != NULL)
		IUpdateHistoryEntryCollection_Release(h);
	if (se != NULL)
		IUpdateSearcher_Release(se);
	IUpdateSession_Release(s);
	return rc;
}
