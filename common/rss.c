/* SPDX-License-Identifier: BSD-3-Clause */
#include "rss.h"

#include "bytes.h"

/* 0x6d5a repeated: a symmetric key (the hash of a flow is the same both
 * ways), as used for symmetric RSS on Intel and Mellanox NICs. */
const uint8_t stp_rss_key[STP_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

/* For each set bit of the input (most significant first), XOR in the 32
 * key bits starting at that bit's position (Microsoft RSS spec). */
uint32_t rss_toeplitz(const uint8_t *key, const uint8_t *data, size_t n)
{
	uint32_t hash = 0, window = get_be32(key);

	for (size_t i = 0; i < n; i++) {
		uint8_t next = key[i + 4];

		for (int b = 7; b >= 0; b--) {
			if (data[i] & (1u << b))
				hash ^= window;
			window = window << 1 | ((next >> b) & 1u);
		}
	}
	return hash;
}

uint32_t rss_hash_v4(uint32_t src_ip, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port)
{
	uint8_t in[12];

	put_be32(in, src_ip);
	put_be32(in + 4, dst_ip);
	put_be16(in + 8, src_port);
	put_be16(in + 10, dst_port);
	return rss_toeplitz(stp_rss_key, in, sizeof(in));
}
