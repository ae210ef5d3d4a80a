//! Counters the agent keeps: the `snmp` group of SNMPv2-MIB (RFC 3418),
//! the MPD statistics (RFC 3412) and `usmStats` (RFC 3414).

/// snmpInPkts … snmpSilentDrops, plus the RFC 3412 message-processing
/// counters. All wrap at 2^32 like Counter32.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnmpStats {
    /// snmpInPkts (1.3.6.1.2.1.11.1).
    pub in_pkts: u32,
    /// snmpOutPkts (11.2).
    pub out_pkts: u32,
    /// snmpInBadVersions (11.3).
    pub in_bad_versions: u32,
    /// snmpInBadCommunityNames (11.4).
    pub in_bad_community_names: u32,
    /// snmpInBadCommunityUses (11.5).
    pub in_bad_community_uses: u32,
    /// snmpInASNParseErrs (11.6).
    pub in_asn_parse_errs: u32,
    /// snmpInTooBigs (11.8).
    pub in_too_bigs: u32,
    /// snmpInNoSuchNames (11.9).
    pub in_no_such_names: u32,
    /// snmpInBadValues (11.10).
    pub in_bad_values: u32,
    /// snmpInReadOnlys (11.11).
    pub in_read_onlys: u32,
    /// snmpInGenErrs (11.12).
    pub in_gen_errs: u32,
    /// snmpInTotalReqVars (11.13).
    pub in_total_req_vars: u32,
    /// snmpInTotalSetVars (11.14).
    pub in_total_set_vars: u32,
    /// snmpInGetRequests (11.15).
    pub in_get_requests: u32,
    /// snmpInGetNexts (11.16).
    pub in_get_nexts: u32,
    /// snmpInSetRequests (11.17).
    pub in_set_requests: u32,
    /// snmpInGetResponses (11.18).
    pub in_get_responses: u32,
    /// snmpInTraps (11.19).
    pub in_traps: u32,
    /// snmpOutTooBigs (11.20).
    pub out_too_bigs: u32,
    /// snmpOutNoSuchNames (11.21).
    pub out_no_such_names: u32,
    /// snmpOutBadValues (11.22).
    pub out_bad_values: u32,
    /// snmpOutGenErrs (11.24).
    pub out_gen_errs: u32,
    /// snmpOutGetResponses (11.28).
    pub out_get_responses: u32,
    /// snmpOutTraps (11.29).
    pub out_traps: u32,
    /// snmpSilentDrops (11.31).
    pub silent_drops: u32,
    /// snmpProxyDrops (11.32); always 0, the agent does not proxy.
    pub proxy_drops: u32,
    /// snmpUnknownSecurityModels (1.3.6.1.6.3.11.2.1.1).
    pub unknown_security_models: u32,
    /// snmpInvalidMsgs (1.3.6.1.6.3.11.2.1.2).
    pub invalid_msgs: u32,
    /// snmpUnknownPDUHandlers (1.3.6.1.6.3.11.2.1.3).
    pub unknown_pdu_handlers: u32,
    /// snmpUnknownContexts (1.3.6.1.6.3.12.1.5).
    pub unknown_contexts: u32,
}

/// usmStats (1.3.6.1.6.3.15.1.1).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UsmStats {
    /// usmStatsUnsupportedSecLevels (.1).
    pub unsupported_sec_levels: u32,
    /// usmStatsNotInTimeWindows (.2).
    pub not_in_time_windows: u32,
    /// usmStatsUnknownUserNames (.3).
    pub unknown_user_names: u32,
    /// usmStatsUnknownEngineIDs (.4).
    pub unknown_engine_ids: u32,
    /// usmStatsWrongDigests (.5).
    pub wrong_digests: u32,
    /// usmStatsDecryptionErrors (.6).
    pub decryption_errors: u32,
}

pub(crate) fn inc(c: &mut u32) {
    *c = c.wrapping_add(1);
}

/// OIDs of the counters sent in Report PDUs.
pub mod oids {
    /// usmStatsUnsupportedSecLevels.0
    pub const USM_STATS_UNSUPPORTED_SEC_LEVELS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 1, 0];
    /// usmStatsNotInTimeWindows.0
    pub const USM_STATS_NOT_IN_TIME_WINDOWS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0];
    /// usmStatsUnknownUserNames.0
    pub const USM_STATS_UNKNOWN_USER_NAMES: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0];
    /// usmStatsUnknownEngineIDs.0
    pub const USM_STATS_UNKNOWN_ENGINE_IDS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0];
    /// usmStatsWrongDigests.0
    pub const USM_STATS_WRONG_DIGESTS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0];
    /// usmStatsDecryptionErrors.0
    pub const USM_STATS_DECRYPTION_ERRORS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0];
    /// snmpUnknownContexts.0
    pub const SNMP_UNKNOWN_CONTEXTS: &[u32] = &[1, 3, 6, 1, 6, 3, 12, 1, 5, 0];
    /// snmpUnknownPDUHandlers.0
    pub const SNMP_UNKNOWN_PDU_HANDLERS: &[u32] = &[1, 3, 6, 1, 6, 3, 11, 2, 1, 3, 0];
}
