/*
 * acl.exe FILE...: each file's access list as Windows reads it back
 * (GetNamedSecurityInfoW, then SDDL), one line a file: "FILE D:P(...)".
 * t44 checks the enrolled key's: SYSTEM and Administrators, nobody else.
 */
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <stdio.h>

int
main(void)
{
	wchar_t **argv;
	int argc, i, rc = 0;

	if ((argv = CommandLineToArgvW(GetCommandLineW(), &argc)) == NULL)
		return 2;
	for (i = 1; i < argc; i++) {
		PSECURITY_DESCRIPTOR sd = NULL;
		wchar_t *sddl = NULL;
		DWORD e;

		e = GetNamedSecurityInfoW(argv[i], SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL,
		    NULL, NULL, NULL, &sd);
		if (e != ERROR_SUCCESS || !ConvertSecurityDescriptorToStringSecurityDescriptorW(sd,
		    SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &sddl, NULL)) {
			fprintf(stderr, "%ls: error %lu\n", argv[i], e != 0 ? e : GetLastError());
			rc = 1;
		} else
			printf("%ls %ls\n", argv[i], sddl);
		LocalFree(sddl);
		LocalFree(sd);
	}
	return rc;
}
