//! The rules of [`super`]: E.164 numbers, host names, each trunk field, the redacted
//! `Debug`.

use super::*;

fn trunk() -> Trunk {
    let mut trunk = Trunk::new("carrier-a", "sip.carrier.example");
    trunk.caller_ids = vec!["+8613800138000".into(), "+8610010010010".into()];
    trunk.tenants = vec!["t_01".into()];
    trunk
}

/// The field `trunk` with `change` applied is refused for.
fn refused_field(change: impl FnOnce(&mut Trunk)) -> String {
    let mut trunk = trunk();
    change(&mut trunk);
    trunk.validate().expect_err("the change is refused").field
}

#[test]
fn numbers_are_normalized_to_e164_from_the_ways_people_write_them() {
    for (written, e164) in [
        ("+8613800138000", "+8613800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("+1 415 555 0100", "+14155550100"),
        ("+12345678", "+12345678"),
        ("+123456789012345", "+123456789012345"),
    ] {
        assert_eq!(normalize_e164(written).as_deref(), Some(e164), "{written}");
    }
}

#[test]
fn national_short_long_and_lettered_numbers_are_not_e164() {
    for bad in [
        "",
        "+",
        "13800138000",
        "0138001380",
        "+1234567",
        "+1234567890123456",
        "+08613800138000",
        "0008613800138000",
        "+86138001380OO",
        "+86.138.0013.8000",
        "+86\t13800138000",
        "sip:+8613800138000@carrier",
        "+８６13800138000",
    ] {
        assert_eq!(normalize_e164(bad), None, "{bad:?}");
    }
}

#[test]
fn a_default_trunk_with_a_host_is_valid() {
    let trunk = Trunk::new("carrier-a", "sip.carrier.example");
    assert_eq!(trunk.validate(), Ok(()));
    assert_eq!(
        (trunk.port, trunk.transport, trunk.max_channels),
        (5060, SipTransport::Udp, 30)
    );
    assert_eq!(trunk.max_calls_per_second, 5);
    assert_eq!(trunk.codecs, [TrunkCodec::Pcma, TrunkCodec::Pcmu]);
}

#[test]
fn hosts_are_bare_names_or_addresses() {
    for good in [
        "sip.carrier.example",
        "carrier",
        "10.0.0.7",
        "2001:db8::7",
        "a-b.example",
    ] {
        let mut trunk = trunk();
        trunk.host = good.into();
        assert_eq!(trunk.validate(), Ok(()), "{good}");
    }
    for (bad, says) in [
        ("", "empty"),
        ("sip.carrier.example:5060", "port"),
        ("sip:sip.carrier.example", "scheme"),
        ("udp://sip.carrier.example", "scheme"),
        ("sip carrier", "spaces"),
        (" carrier", "spaces"),
        ("[2001:db8::7]", "brackets"),
        ("-carrier.example", "host name"),
        ("carrier..example", "host name"),
        ("user@carrier.example", "host name"),
        ("10.0.0.256", "host name"),
    ] {
        let mut trunk = trunk();
        trunk.host = bad.into();
        let error = trunk.validate().expect_err(bad);
        assert_eq!(error.field, "host", "{bad}");
        assert!(error.problem.contains(says), "{bad}: {error}");
    }
}

#[test]
fn outbound_proxies_are_host_and_port() {
    assert_eq!(
        parse_host_port("proxy.example:5070"),
        Some(("proxy.example", 5070))
    );
    assert_eq!(
        parse_host_port("[2001:db8::1]:5060"),
        Some(("2001:db8::1", 5060))
    );
    for bad in [
        "proxy.example",
        "proxy.example:",
        "proxy.example:0",
        "proxy.example:+50",
        "proxy.example:70000",
        "2001:db8::1:5060",
        "[proxy.example]:5060",
    ] {
        assert_eq!(parse_host_port(bad), None, "{bad}");
        let mut trunk = trunk();
        trunk.outbound_proxy = Some(bad.into());
        assert_eq!(trunk.validate().expect_err(bad).field, "outbound_proxy");
    }
    let mut trunk = trunk();
    trunk.outbound_proxy = Some("sip:proxy:5060".into());
    assert_eq!(
        trunk.validate().expect_err("scheme").field,
        "outbound_proxy"
    );
    trunk.outbound_proxy = Some("10.0.0.9:5060".into());
    assert_eq!(trunk.validate(), Ok(()));
}

#[test]
fn each_broken_rule_names_its_field() {
    assert_eq!(refused_field(|t| t.name = "a/b".into()), "name");
    assert_eq!(refused_field(|t| t.port = 0), "port");
    assert_eq!(
        refused_field(|t| t.username = Some(String::new())),
        "username"
    );
    assert_eq!(
        refused_field(|t| t.username = Some("a b".into())),
        "username"
    );
    assert_eq!(
        refused_field(|t| t.password = Some(String::new())),
        "password"
    );
    assert_eq!(
        refused_field(|t| t.password = Some("x".repeat(257))),
        "password"
    );
    assert_eq!(
        refused_field(|t| t.password = Some("a\nb".into())),
        "password"
    );
    assert_eq!(
        refused_field(|t| t.caller_ids.push("13800138000".into())),
        "caller_ids[2]"
    );
    assert_eq!(
        refused_field(|t| t.caller_ids.push("+86 138 0013 8000".into())),
        "caller_ids[2]"
    );
    assert_eq!(
        refused_field(|t| t.caller_ids.push("+8613800138000".into())),
        "caller_ids[2]"
    );
    assert_eq!(
        refused_field(|t| t.caller_ids = vec!["+8613800138000".into(); MAX_CALLER_IDS + 1]),
        "caller_ids"
    );
    assert_eq!(refused_field(|t| t.max_channels = 0), "max_channels");
    assert_eq!(refused_field(|t| t.max_channels = 10_001), "max_channels");
    assert_eq!(
        refused_field(|t| t.max_calls_per_second = 0),
        "max_calls_per_second"
    );
    assert_eq!(
        refused_field(|t| t.max_calls_per_second = 1_001),
        "max_calls_per_second"
    );
    assert_eq!(refused_field(|t| t.codecs.clear()), "codecs");
    assert_eq!(
        refused_field(|t| t.codecs.push(TrunkCodec::Pcma)),
        "codecs[2]"
    );
    assert_eq!(
        refused_field(|t| t.tenants.push("t/02".into())),
        "tenants[1]"
    );
    assert_eq!(
        refused_field(|t| t.tenants.push("t_01".into())),
        "tenants[1]"
    );
}

#[test]
fn limits_are_inclusive_and_a_user_name_needs_no_password() {
    let mut trunk = trunk();
    trunk.max_channels = MAX_CHANNELS;
    trunk.max_calls_per_second = MAX_CALLS_PER_SECOND;
    trunk.username = Some("1001".into());
    trunk.password = Some("p ss wörd".into());
    assert_eq!(trunk.validate(), Ok(()));
    trunk.password = None;
    assert_eq!(trunk.validate(), Ok(()));
}

#[test]
fn the_password_is_never_in_a_debug_print_or_an_error() {
    let mut trunk = trunk();
    trunk.password = Some("s3cret-digest-pw".into());
    let printed = format!("{trunk:?} {trunk:#?}");
    assert!(!printed.contains("s3cret"), "{printed}");
    assert!(
        printed.contains("password: Some(\"…redacted…\")"),
        "{printed}"
    );
    assert!(printed.contains("sip.carrier.example"), "{printed}");
    trunk.password = Some("s3cret\u{7}".into());
    let error = trunk.validate().expect_err("control character").to_string();
    assert!(!error.contains("s3cret"), "{error}");
    trunk.password = None;
    assert!(format!("{trunk:?}").contains("password: None"));
}

#[test]
fn tenants_and_caller_ids_are_looked_up() {
    let trunk = trunk();
    assert!(trunk.allows_tenant("t_01"));
    assert!(!trunk.allows_tenant("t_0"));
    assert!(trunk.has_caller_id("+8613800138000"));
    assert!(trunk.has_caller_id("+86 138 0013 8000"));
    assert!(trunk.has_caller_id("008610010010010"));
    assert!(!trunk.has_caller_id("+8613800138001"));
    assert!(!trunk.has_caller_id("not a number"));
}

#[test]
fn routed_numbers_are_e164_with_a_tenant_and_a_module_name() {
    let route = RoutedNumber {
        number: "+8613800138000".into(),
        tenant_id: "t_01".into(),
        module: "inbound-survey".into(),
        updated_at_ms: 1,
    };
    assert_eq!(route.validate(), Ok(()));
    let field = |change: fn(&mut RoutedNumber)| {
        let mut route = route.clone();
        change(&mut route);
        route.validate().expect_err("refused").field
    };
    assert_eq!(field(|r| r.number = "+86 138 0013 8000".into()), "number");
    assert_eq!(field(|r| r.number = "13800138000".into()), "number");
    assert_eq!(field(|r| r.tenant_id = String::new()), "tenant_id");
    assert_eq!(field(|r| r.module = "../x".into()), "module");
}
