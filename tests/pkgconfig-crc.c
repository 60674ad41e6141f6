/* A program built against the installed C API with
 * `cc prog.c $(pkg-config --cflags --libs tfrec)` (tests t0130, t0135):
 * CRC-32C of "123456789" is 0xe3069283 (RFC 3720, appendix B.4). */
#include <stdio.h>
#include <tfrec.h>

int main(void)
{
	uint32_t crc = tfrec_crc32c(0, "123456789", 9);
	printf("%08x %s\n", (unsigned)crc, tfrec_crc32c_impl());
	return crc == 0xe3069283u && tfrec_api_version() >= TFREC_API_VERSION ? 0 : 1;
}
