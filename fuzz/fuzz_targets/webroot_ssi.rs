//! Fuzzes the webroot packer's SSI tag finder (it reads every file under a
//! webroot at build time): any bytes, tags in order, in bounds, each one an
//! opener, a name and the matching closer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut last = 0;
    for t in petrel_webroot_pack::find_tags(data) {
        assert!(last <= t.start && t.start < t.end && t.end <= data.len());
        let text = &data[t.start..t.end];
        assert!(
            (text.starts_with(b"<!--#") && text.ends_with(b"-->"))
                || (text.starts_with(b"/*#") && text.ends_with(b"*/"))
        );
        assert!(!t.name.is_empty());
        last = t.end;
    }
});
