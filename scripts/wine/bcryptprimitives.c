/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, which Wine 8 (Debian 12) lacks. Rust's std
 * (1.78+) takes its random bytes from ProcessPrng there, as on every Windows 10 and later; under
 * Wine 8 no Rust DLL loads without it. This one forwards to BCryptGenRandom, Windows' system RNG
 * (Wine implements it). scripts/provision.js builds it with mingw into the test Wine prefix only;
 * nothing shipped contains it.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) return FALSE;
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
