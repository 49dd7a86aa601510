/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bytes.h
 * Big-endian loads and stores at any alignment. Wire structs keep fields as
 * byte arrays or big-endian integers; these helpers are the only way in.
 */
#ifndef STP_BYTES_H
#define STP_BYTES_H

#include <stdint.h>

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#define STP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define STP_MAX(a, b) ((a) > (b) ? (a) : (b))
#define STP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
