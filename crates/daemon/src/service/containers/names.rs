//! Container names: Docker's validity rule, and random `adjective_surname` names for
//! containers created without `--name` (a digit is appended when a name is taken).

const ADJECTIVES: &[&str] = &[
    "admiring",
    "agile",
    "amazing",
    "awesome",
    "blissful",
    "bold",
    "brave",
    "busy",
    "calm",
    "charming",
    "clever",
    "cool",
    "crazy",
    "dazzling",
    "determined",
    "eager",
    "ecstatic",
    "elastic",
    "elegant",
    "epic",
    "fervent",
    "festive",
    "focused",
    "friendly",
    "gallant",
    "gentle",
    "goofy",
    "gracious",
    "happy",
    "hardcore",
    "heuristic",
    "hopeful",
    "hungry",
    "inspiring",
    "jolly",
    "jovial",
    "keen",
    "kind",
    "laughing",
    "loving",
    "lucid",
    "magical",
    "modest",
    "musing",
    "mystifying",
    "nice",
    "nifty",
    "nostalgic",
    "objective",
    "optimistic",
    "peaceful",
    "pensive",
    "practical",
    "priceless",
    "quirky",
    "quizzical",
    "relaxed",
    "reverent",
    "romantic",
    "serene",
    "sharp",
    "silly",
    "sleepy",
    "stoic",
    "strange",
    "suspicious",
    "sweet",
    "tender",
    "thirsty",
    "trusting",
    "upbeat",
    "vibrant",
    "vigilant",
    "vigorous",
    "wizardly",
    "wonderful",
    "xenodochial",
    "youthful",
    "zealous",
    "zen",
];

const SURNAMES: &[&str] = &[
    "agnesi",
    "archimedes",
    "babbage",
    "banach",
    "bardeen",
    "bell",
    "bohr",
    "boole",
    "bose",
    "cannon",
    "cartwright",
    "cerf",
    "chandrasekhar",
    "curie",
    "darwin",
    "dijkstra",
    "dirac",
    "einstein",
    "euclid",
    "euler",
    "faraday",
    "fermat",
    "fermi",
    "feynman",
    "franklin",
    "galileo",
    "gauss",
    "germain",
    "goodall",
    "hamilton",
    "hawking",
    "heisenberg",
    "hertz",
    "hilbert",
    "hodgkin",
    "hopper",
    "hypatia",
    "jackson",
    "johnson",
    "kepler",
    "khorana",
    "knuth",
    "kowalevski",
    "lamarr",
    "leakey",
    "lovelace",
    "lumiere",
    "maxwell",
    "mayer",
    "mcclintock",
    "meitner",
    "mendel",
    "mirzakhani",
    "moore",
    "morse",
    "napier",
    "newton",
    "nobel",
    "noether",
    "pascal",
    "pasteur",
    "planck",
    "poincare",
    "ramanujan",
    "ritchie",
    "rosalind",
    "sagan",
    "shannon",
    "shockley",
    "somerville",
    "tesla",
    "thompson",
    "torvalds",
    "turing",
    "volta",
    "wiles",
    "wing",
    "wright",
    "yalow",
    "yonath",
];

fn random_index(n: usize) -> usize {
    let mut b = [0u8; 8];
    rustix::rand::getrandom(&mut b, rustix::rand::GetRandomFlags::empty()).ok();
    (u64::from_le_bytes(b) % n as u64) as usize
}

/// A random name; `attempt > 0` appends a digit, as dockerd does on collisions.
pub fn random_name(attempt: u32) -> String {
    let name = format!(
        "{}_{}",
        ADJECTIVES[random_index(ADJECTIVES.len())],
        SURNAMES[random_index(SURNAMES.len())]
    );
    if attempt > 0 {
        format!("{name}{}", random_index(10))
    } else {
        name
    }
}

/// Docker's rule: `/?[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn valid(name: &str) -> bool {
    let n = name.strip_prefix('/').unwrap_or(name);
    let mut chars = n.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && n.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub fn invalid_message(name: &str) -> String {
    format!("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
}

pub fn conflict_message(name: &str, id: &str) -> String {
    let name = if name.starts_with('/') {
        name.to_string()
    } else {
        format!("/{name}")
    };
    format!(
        "Conflict. The container name \"{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule() {
        assert!(valid("web"));
        assert!(valid("/web-1.a_b"));
        assert!(!valid("a"));
        assert!(!valid("-web"));
        assert!(!valid("we b"));
        assert!(!valid(""));
    }

    #[test]
    fn random_names_are_valid_adjective_surname_pairs() {
        for i in 0..50 {
            let n = random_name(i % 2);
            assert!(valid(&n), "{n}");
            let (a, s) = n.split_once('_').unwrap();
            assert!(ADJECTIVES.contains(&a));
            assert!(SURNAMES.iter().any(|x| s.starts_with(x)));
        }
    }
}
