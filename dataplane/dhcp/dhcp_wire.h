/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dhcp_wire.h
 * The BOOTP/DHCP message as it is on the wire (RFC 951, RFC 2131 sec 2,
 * figure 1): byte offsets of the fixed header, option codes (RFC 2132 and
 * the PXE/iPXE ones), message types. Multi-byte fields are big-endian and
 * are only read or written through get_be16/32 and put_be16/32.
 */
#ifndef STP_DHCP_WIRE_H
#define STP_DHCP_WIRE_H

/* Fixed header offsets, RFC 2131 sec 2 figure 1. */
enum dhcp_hdr_off {
	DHCP_OFF_OP = 0,
	DHCP_OFF_HTYPE = 1,
	DHCP_OFF_HLEN = 2,
	DHCP_OFF_HOPS = 3,
	DHCP_OFF_XID = 4,
	DHCP_OFF_SECS = 8,
	DHCP_OFF_FLAGS = 10,
	DHCP_OFF_CIADDR = 12,
	DHCP_OFF_YIADDR = 16,
	DHCP_OFF_SIADDR = 20,
	DHCP_OFF_GIADDR = 24,
	DHCP_OFF_CHADDR = 28,   /* 16 bytes, the first hlen are the MAC */
	DHCP_OFF_SNAME = 44,    /* 64 bytes */
	DHCP_OFF_FILE = 108,    /* 128 bytes */
	DHCP_OFF_MAGIC = 236,   /* 99.130.83.99 */
	DHCP_OFF_OPTIONS = 240,
};

#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_LEN 128
#define DHCP_MAGIC 0x63825363u
/** Fixed header plus magic cookie: the shortest DHCP message. */
#define DHCP_HDR_LEN 240
/** RFC 951: BOOTP messages are 300 bytes; old PXE ROMs refuse shorter. */
#define DHCP_BOOTP_MIN_LEN 300
/** RFC 2131 sec 2: 576-byte IP datagrams minus IP (20) and UDP (8). */
#define DHCP_DEFAULT_MAX_MSG 548
#define DHCP_IP_UDP_HDR_LEN 28
#define DHCP_ETH_MTU 1500

#define BOOTREQUEST 1
#define BOOTREPLY 2
#define DHCP_HTYPE_ETHER 1
#define DHCP_HLEN_ETHER 6
/** RFC 2131 sec 2 figure 2: the one defined bit of 'flags'. */
#define DHCP_FLAG_BROADCAST 0x8000u

/* Option codes: RFC 2132 unless noted. */
enum dhcp_opt {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN = 15,
	DHCP_OPT_BROADCAST = 28,
	DHCP_OPT_VENDOR = 43,        /* PXE 2.1: encapsulated PXE options */
	DHCP_OPT_REQ_IP = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_MSG_SIZE = 57,
	DHCP_OPT_T1 = 58,
	DHCP_OPT_T2 = 59,
	DHCP_OPT_VENDOR_CLASS = 60,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_TFTP_SERVER = 66,
	DHCP_OPT_BOOTFILE = 67,
	DHCP_OPT_USER_CLASS = 77,    /* RFC 3004 */
	DHCP_OPT_RELAY_AGENT = 82,   /* RFC 3046 */
	DHCP_OPT_CLIENT_ARCH = 93,   /* RFC 4578 */
	DHCP_OPT_CLIENT_NDI = 94,    /* RFC 4578 */
	DHCP_OPT_CLIENT_UUID = 97,   /* RFC 4578 */
	DHCP_OPT_IPXE_ENCAP = 175,   /* iPXE encapsulated options */
	DHCP_OPT_END = 255,
};

/* RFC 2132 sec 9.3: values of option 52. */
#define DHCP_OVERLOAD_FILE 1
#define DHCP_OVERLOAD_SNAME 2

/* Sub-options inside option 43 for PXE clients (PXE 2.1 table 2-1). */
#define PXE_DISCOVERY_CONTROL 6
/** Bit 3: download the boot file named in the offer, no discovery/menu. */
#define PXE_DISCOVERY_USE_BOOTFILE 8
/* Sub-option inside option 175 (iPXE): skip the ProxyDHCP wait. */
#define IPXE_OPT_NO_PXEDHCP 176

/* RFC 2132 sec 9.6: option 53 values. */
enum dhcp_msg_type {
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

/* RFC 4578 sec 2.1: option 93 values we map to boot files. */
#define PXE_ARCH_BIOS 0
#define PXE_ARCH_EFI_IA32 6
#define PXE_ARCH_EFI_BC 7
#define PXE_ARCH_EFI_X86_64 9
#define PXE_ARCH_EFI_ARM64 11
#define PXE_ARCH_NONE 0xffff

#endif
