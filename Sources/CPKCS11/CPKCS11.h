/*
 * CPKCS11: the system PKCS#11 header from p11-kit (Debian's libp11-kit-dev, Cryptoki 2.40),
 * p11-kit's RFC 7512 URI parser, and the few things Swift cannot import on its own.
 *
 * Only the PKCS11 Swift target imports this module. Every symbol defined here starts with
 * CPKCS11_ so it can never collide with a module's own exports.
 */
#ifndef CPKCS11_H
#define CPKCS11_H

/* System headers first: pkcs11.h's compatibility mode #defines short words such as `value`. */
#include <dlfcn.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

/* Macros with a cast are not imported by Swift; re-export them as typed constants. */
static const CK_RV CPKCS11_CKR_VENDOR_DEFINED = CKR_VENDOR_DEFINED;
static const CK_ULONG CPKCS11_CK_UNAVAILABLE_INFORMATION = CK_UNAVAILABLE_INFORMATION;
static const CK_ATTRIBUTE_TYPE CPKCS11_CKA_VENDOR_DEFINED = CKA_VENDOR_DEFINED;
static const CK_OBJECT_CLASS CPKCS11_CKO_VENDOR_DEFINED = CKO_VENDOR_DEFINED;
static const CK_KEY_TYPE CPKCS11_CKK_VENDOR_DEFINED = CKK_VENDOR_DEFINED;
static const CK_MECHANISM_TYPE CPKCS11_CKM_VENDOR_DEFINED = CKM_VENDOR_DEFINED;
static const CK_BBOOL CPKCS11_TRUE = CK_TRUE;
static const CK_BBOOL CPKCS11_FALSE = CK_FALSE;

/*
 * Opens a shared library. On failure returns NULL and copies dlerror()'s text into `error`,
 * which callers show to the operator (miekg/pkcs11 loses this text; we keep it).
 */
static inline void *CPKCS11_open(const char *path, char *error, size_t errorCapacity) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL && errorCapacity > 0) {
        const char *message = dlerror();
        snprintf(error, errorCapacity, "%s", message ? message : "unknown dlopen error");
    }
    return handle;
}

/* Looks up C_GetFunctionList; NULL with dlerror()'s text when the library is not a PKCS#11 module. */
static inline CK_C_GetFunctionList CPKCS11_getFunctionListSymbol(void *handle, char *error, size_t errorCapacity) {
    dlerror();
    void *symbol = dlsym(handle, "C_GetFunctionList");
    if (symbol == NULL && errorCapacity > 0) {
        const char *message = dlerror();
        snprintf(error, errorCapacity, "%s", message ? message : "C_GetFunctionList not exported");
    }
    return (CK_C_GetFunctionList)symbol;
}

static inline int CPKCS11_close(void *handle) {
    return dlclose(handle);
}

/*
 * p11-kit's RPC transport writes with plain write(): a dead server would kill us with SIGPIPE.
 * SIG_IGN is a cast macro, so it has to be set from C.
 */
static inline void CPKCS11_ignoreSIGPIPE(void) {
    signal(SIGPIPE, SIG_IGN);
}

/* No core dumps that could hold PINs, shares or a reconstructed key (prctl is variadic in C). */
static inline int CPKCS11_disableCoreDumps(void) {
    struct rlimit none = { 0, 0 };
    int a = setrlimit(RLIMIT_CORE, &none);
    int b = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return (a == 0 && b == 0) ? 0 : -1;
}

#endif /* CPKCS11_H */
