//! Tests of the compiled-MIB run time with a hand-written dispatch (the
//! shape petrel-mibc generates).

use super::*;
use crate::agent::{Mib, SetOutcome};
use crate::value::VarBind;

const BASE: &[u32] = &[1, 3, 6, 1, 4, 1, 32473];

static NODES: &[Node] = &[
    Node::new(&[1, 3, 6, 1, 4, 1, 32473], "m", NodeKind::Node),
    Node {
        ranges: &[(-400, 1250)],
        ..Node::new(&[1, 3, 6, 1, 4, 1, 32473, 1], "temp", NodeKind::Scalar)
            .typed(Syntax::Integer32, MaxAccess::ReadWrite)
    },
    Node {
        sizes: &[(1, 8)],
        display_string: true,
        ..Node::new(&[1, 3, 6, 1, 4, 1, 32473, 2], "name", NodeKind::Scalar)
            .typed(Syntax::OctetString, MaxAccess::ReadWrite)
    },
    Node::new(&[1, 3, 6, 1, 4, 1, 32473, 3], "table", NodeKind::Table),
    Node::new(&[1, 3, 6, 1, 4, 1, 32473, 3, 1], "entry", NodeKind::Row),
    Node::new(&[1, 3, 6, 1, 4, 1, 32473, 3, 1, 1], "idx", NodeKind::Column)
        .typed(Syntax::Unsigned32, MaxAccess::NotAccessible),
    Node::new(&[1, 3, 6, 1, 4, 1, 32473, 3, 1, 2], "val", NodeKind::Column)
        .typed(Syntax::Gauge32, MaxAccess::ReadWrite),
    Node::new(&[1, 3, 6, 1, 4, 1, 32473, 4], "ro", NodeKind::Scalar)
        .typed(Syntax::Counter32, MaxAccess::ReadOnly),
];

#[derive(Debug, Default)]
struct Board {
    temp: i32,
    name: heapless::Vec<u8, 8>,
    rows: [(u32, u32); 3],
    fail_temp: bool,
}

impl Board {
    fn row(&self, i: Option<&u32>) -> Option<(u32, u32)> {
        self.rows
            .iter()
            .copied()
            .find(|(k, _)| i.is_none_or(|i| k > i))
    }
}

impl Dispatch for Board {
    const NODES: &'static [Node] = NODES;
    fn read<'a>(&'a self, node: usize, index: &[u32], scratch: &'a mut [u8]) -> Option<Value<'a>> {
        match node {
            1 => Some(Value::Integer(self.temp)),
            2 => Some(string(scratch, &self.name)),
            6 => {
                let i = u32::decode_exact(index)?;
                find_row(&i, |a| self.row(a)).map(Value::Gauge32)
            }
            7 => Some(Value::Counter32(9)),
            _ => None,
        }
    }
    fn next_index(&self, _node: usize, after: Option<&[u32]>, out: &mut Oid) -> bool {
        next_row(after, |a| self.row(a)).is_some_and(|(i, _)| i.encode(out))
    }
    fn test(&self, node: usize, _index: &[u32], value: &Value<'_>) -> Result<(), SetError> {
        if node == 1 && integer(value)? == 13 {
            return Err(SetError::InconsistentValue);
        }
        Ok(())
    }
    fn write(&mut self, node: usize, index: &[u32], value: &Value<'_>) -> Result<(), SetError> {
        match node {
            1 if self.fail_temp => Err(SetError::Failed),
            1 => {
                self.temp = integer(value)?;
                Ok(())
            }
            2 => {
                self.name = owned_string(octets(value)?)?;
                Ok(())
            }
            6 => {
                let i = u32::decode_exact(index).ok_or(SetError::NoCreation)?;
                let v = unsigned(value)?;
                let r = self
                    .rows
                    .iter_mut()
                    .find(|(k, _)| *k == i)
                    .ok_or(SetError::NoCreation)?;
                r.1 = v;
                Ok(())
            }
            _ => Err(SetError::NotWritable),
        }
    }
}

fn oid(tail: &[u32]) -> Oid {
    Oid::new(BASE).child(tail).unwrap()
}

fn mib() -> CompiledMib<Board> {
    CompiledMib::new(Board {
        temp: 215,
        name: heapless::Vec::from_slice(b"dev").unwrap(),
        rows: [(2, 20), (5, 50), (9, 90)],
        fail_temp: false,
    })
}

fn walk(m: &CompiledMib<Board>) -> Vec<(Oid, String)> {
    let mut out = Vec::new();
    let mut at = Oid::new(&[1, 3]);
    let mut s = [0u8; 256];
    for _ in 0..100 {
        match m.get_next(&at, &mut s).unwrap() {
            Some((o, v)) => {
                out.push((o, format!("{v:?}")));
                at = o;
            }
            None => return out,
        }
    }
    panic!("walk did not end");
}

#[test]
fn walk_is_sorted_and_complete() {
    let m = mib();
    let w = walk(&m);
    let names: Vec<Oid> = w.iter().map(|(o, _)| *o).collect();
    assert_eq!(
        names,
        vec![
            oid(&[1, 0]),
            oid(&[2, 0]),
            oid(&[3, 1, 2, 2]),
            oid(&[3, 1, 2, 5]),
            oid(&[3, 1, 2, 9]),
            oid(&[4, 0]),
        ]
    );
    assert!(w[1].1.contains("OctetString([100, 101, 118])"));
    // From inside a row, from a partial index, from a column's own name.
    let mut s = [0u8; 256];
    let next = |at: Oid, s: &mut [u8; 256]| m.get_next(&at, s).unwrap().unwrap().0;
    assert_eq!(next(oid(&[3, 1, 2, 5]), &mut s), oid(&[3, 1, 2, 9]));
    assert_eq!(next(oid(&[3, 1, 2, 5, 7]), &mut s), oid(&[3, 1, 2, 9]));
    assert_eq!(next(oid(&[3, 1, 2]), &mut s), oid(&[3, 1, 2, 2]));
    assert_eq!(next(oid(&[3, 1, 1, 99]), &mut s), oid(&[3, 1, 2, 2]));
    assert_eq!(next(oid(&[1]), &mut s), oid(&[1, 0]));
    assert_eq!(m.get_next(&oid(&[4, 0]), &mut s).unwrap(), None);
}

#[test]
fn get_exceptions() {
    let m = mib();
    let mut s = [0u8; 256];
    assert_eq!(m.get(&oid(&[1, 0]), &mut s), Ok(Value::Integer(215)));
    assert_eq!(m.get(&oid(&[1, 1]), &mut s), Ok(Value::NoSuchInstance));
    assert_eq!(m.get(&oid(&[1]), &mut s), Ok(Value::NoSuchInstance));
    assert_eq!(m.get(&oid(&[3, 1, 2, 5]), &mut s), Ok(Value::Gauge32(50)));
    assert_eq!(
        m.get(&oid(&[3, 1, 2, 6]), &mut s),
        Ok(Value::NoSuchInstance)
    );
    assert_eq!(m.get(&oid(&[3, 1, 1, 5]), &mut s), Ok(Value::NoSuchObject));
    assert_eq!(m.get(&oid(&[9, 0]), &mut s), Ok(Value::NoSuchObject));
    assert_eq!(m.get(&Oid::new(&[1, 3]), &mut s), Ok(Value::NoSuchObject));
}

fn vb(name: Oid, value: Value<'_>) -> VarBind<'_> {
    VarBind { name, value }
}

#[test]
fn set_checks_before_the_handler() {
    let mut m = mib();
    let cases: &[(Oid, Value<'_>, ErrorStatus)] = &[
        (
            oid(&[1, 0]),
            Value::OctetString(b"x"),
            ErrorStatus::WrongType,
        ),
        (oid(&[1, 0]), Value::Integer(1251), ErrorStatus::WrongValue),
        (
            oid(&[1, 0]),
            Value::Integer(13),
            ErrorStatus::InconsistentValue,
        ),
        (oid(&[1, 1]), Value::Integer(1), ErrorStatus::NoCreation),
        (
            oid(&[2, 0]),
            Value::OctetString(b""),
            ErrorStatus::WrongLength,
        ),
        (
            oid(&[2, 0]),
            Value::OctetString(b"123456789"),
            ErrorStatus::WrongLength,
        ),
        (
            oid(&[2, 0]),
            Value::OctetString(b"a\xff"),
            ErrorStatus::WrongValue,
        ),
        (oid(&[4, 0]), Value::Counter32(1), ErrorStatus::NotWritable),
        (
            oid(&[3, 1, 1, 2]),
            Value::Gauge32(1),
            ErrorStatus::NotWritable,
        ),
        (
            oid(&[3, 1, 2, 3]),
            Value::Gauge32(1),
            ErrorStatus::NoCreation,
        ),
        (
            oid(&[3, 1, 2, 2]),
            Value::Integer(1),
            ErrorStatus::WrongType,
        ),
        (oid(&[7]), Value::Integer(1), ErrorStatus::NotWritable),
    ];
    for (name, value, want) in cases {
        assert_eq!(
            m.test_set(0, &vb(*name, *value)),
            Err(*want),
            "{name} {value:?}"
        );
    }
    assert_eq!(m.dispatch().temp, 215);
}

#[test]
fn set_commits_and_undoes() {
    let mut m = mib();
    let a = vb(oid(&[2, 0]), Value::OctetString(b"boiler"));
    let b = vb(oid(&[3, 1, 2, 9]), Value::Gauge32(7));
    for (i, v) in [&a, &b].into_iter().enumerate() {
        m.test_set(i, v).unwrap();
        m.commit_set(i, v).unwrap();
    }
    assert_eq!(m.dispatch().name.as_slice(), b"boiler");
    assert_eq!(m.dispatch().rows[2], (9, 7));
    // The third varbind's setter fails: the agent undoes the first two.
    m.dispatch_mut().fail_temp = true;
    let c = vb(oid(&[1, 0]), Value::Integer(300));
    m.test_set(2, &c).unwrap();
    assert_eq!(m.commit_set(2, &c), Err(ErrorStatus::CommitFailed));
    m.undo_set(1, &b).unwrap();
    m.undo_set(0, &a).unwrap();
    m.end_set(SetOutcome::Undone);
    assert_eq!(m.dispatch().name.as_slice(), b"dev");
    assert_eq!(m.dispatch().rows[2], (9, 90));
    assert_eq!(m.dispatch().temp, 215);
}

#[test]
fn index_encodings_round_trip_and_sort_like_oids() {
    let mut o = Oid::EMPTY;
    let s = IndexString::<8>(heapless::Vec::from_slice(b"ab").unwrap());
    let v = (
        s.clone(),
        7u32,
        [10u8, 0, 0, 1],
        ImpliedString::<4>(heapless::Vec::from_slice(b"z").unwrap()),
    );
    assert!(v.encode(&mut o));
    assert_eq!(o.as_slice(), &[2, 97, 98, 7, 10, 0, 0, 1, 122]);
    assert_eq!(
        <(IndexString<8>, u32, [u8; 4], ImpliedString<4>)>::decode_exact(o.as_slice()),
        Some(v)
    );
    // Shorter strings sort first, as their encodings do.
    let short = IndexString::<8>(heapless::Vec::from_slice(b"z").unwrap());
    assert!(short < s);
    assert_eq!(IndexString::<2>::decode_exact(&[3, 1, 2, 3]), None);
    assert_eq!(<[u8; 4]>::decode_exact(&[1, 2, 256, 4]), None);
    assert_eq!(i32::decode_exact(&[u32::MAX]), None);
    assert_eq!(u32::decode_exact(&[1, 2]), None);
}
