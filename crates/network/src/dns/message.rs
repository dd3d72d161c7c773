//! The part of the DNS wire format the embedded server needs: read a query's question, write
//! an answer with A or PTR records, or an error code.

use std::net::Ipv4Addr;

pub const TYPE_A: u16 = 1;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_AAAA: u16 = 28;
const CLASS_IN: u16 = 1;

pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_SERVFAIL: u8 = 2;
pub const RCODE_NXDOMAIN: u8 = 3;

/// The first question of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: u16,
    /// Lower case, without the trailing dot.
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
    /// Opcode and RD bit of the query, echoed in the answer.
    flags: u16,
    /// The question section's bytes as sent, echoed in the answer.
    raw: Vec<u8>,
}

/// Reads the header and first question; `None` for anything that is not a standard query.
pub fn parse_query(msg: &[u8]) -> Option<Question> {
    if msg.len() < 12 {
        return None;
    }
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    let qdcount = u16::from_be_bytes([msg[4], msg[5]]);
    if flags & 0x8000 != 0 || (flags >> 11) & 0xf != 0 || qdcount == 0 {
        return None;
    }
    let mut pos = 12;
    let mut labels: Vec<String> = Vec::new();
    loop {
        let len = *msg.get(pos)? as usize;
        pos += 1;
        if len == 0 {
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        let label = msg.get(pos..pos + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        pos += len;
    }
    let qtype = u16::from_be_bytes([*msg.get(pos)?, *msg.get(pos + 1)?]);
    let qclass = u16::from_be_bytes([*msg.get(pos + 2)?, *msg.get(pos + 3)?]);
    pos += 4;
    Some(Question {
        id,
        name: labels.join("."),
        qtype,
        qclass,
        flags,
        raw: msg[12..pos].to_vec(),
    })
}

fn encode_name(name: &str, out: &mut Vec<u8>) {
    for label in name.split('.').filter(|l| !l.is_empty()) {
        let b = label.as_bytes();
        let n = b.len().min(63);
        out.push(n as u8);
        out.extend_from_slice(&b[..n]);
    }
    out.push(0);
}

/// What an answer carries.
pub enum Answer<'a> {
    A(&'a [Ipv4Addr]),
    Ptr(&'a str),
    /// No records (a name that exists without records of the asked type), or an error.
    Empty(u8),
}

/// Builds the answer to `q`.
pub fn answer(q: &Question, a: Answer<'_>, ttl: u32) -> Vec<u8> {
    let rcode = match a {
        Answer::Empty(code) => code,
        _ => RCODE_NOERROR,
    };
    let count = match a {
        Answer::A(ips) => ips.len(),
        Answer::Ptr(_) => 1,
        Answer::Empty(_) => 0,
    } as u16;
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&q.id.to_be_bytes());
    // QR, opcode and RD from the query, AA, RA.
    let flags: u16 = 0x8000 | (q.flags & 0x7900) | 0x0400 | 0x0080 | rcode as u16;
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&q.raw);
    let record = |out: &mut Vec<u8>, rtype: u16, data: &[u8]| {
        out.extend_from_slice(&[0xc0, 0x0c]);
        out.extend_from_slice(&rtype.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&ttl.to_be_bytes());
        out.extend_from_slice(&(data.len() as u16).to_be_bytes());
        out.extend_from_slice(data);
    };
    match a {
        Answer::A(ips) => {
            for ip in ips {
                record(&mut out, TYPE_A, &ip.octets());
            }
        }
        Answer::Ptr(name) => {
            let mut data = Vec::new();
            encode_name(name, &mut data);
            record(&mut out, TYPE_PTR, &data);
        }
        Answer::Empty(_) => {}
    }
    out
}

/// An error answer to a message that could only be partly read (keeps its id).
pub fn servfail_for(msg: &[u8]) -> Option<Vec<u8>> {
    parse_query(msg).map(|q| answer(&q, Answer::Empty(RCODE_SERVFAIL), 0))
}

/// The address a reverse name (`4.3.2.1.in-addr.arpa`) asks about.
pub fn reverse_v4(name: &str) -> Option<Ipv4Addr> {
    let rest = name.strip_suffix(".in-addr.arpa")?;
    let parts: Vec<u8> = rest
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<Vec<u8>>>()?;
    if parts.len() != 4 {
        return None;
    }
    Some(Ipv4Addr::new(parts[3], parts[2], parts[1], parts[0]))
}

#[cfg(test)]
pub fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&0x0100u16.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(name, &mut out);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queries_get_a_records() {
        let q = parse_query(&query(0x1234, "Web.Example", TYPE_A)).unwrap();
        assert_eq!(
            (q.id, q.name.as_str(), q.qtype),
            (0x1234, "web.example", TYPE_A)
        );
        let ips = [Ipv4Addr::new(172, 20, 0, 3)];
        let a = answer(&q, Answer::A(&ips), 600);
        assert_eq!(&a[0..2], &[0x12, 0x34]);
        assert_eq!(a[3] & 0x0f, 0, "NOERROR");
        assert_eq!(u16::from_be_bytes([a[6], a[7]]), 1, "one answer");
        assert_eq!(&a[a.len() - 4..], &[172, 20, 0, 3]);
        let nx = answer(&q, Answer::Empty(RCODE_NXDOMAIN), 0);
        assert_eq!(nx[3] & 0x0f, 3);
        assert_eq!(
            reverse_v4("3.0.20.172.in-addr.arpa"),
            Some(Ipv4Addr::new(172, 20, 0, 3))
        );
        assert!(parse_query(&a).is_none(), "answers are not queries");
    }
}
