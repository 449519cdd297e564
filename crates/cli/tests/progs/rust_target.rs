//! A Rust target for Sonde's tests: functions in a module, whose symbols
//! are mangled.
//!
//!   rust_target N      call each N times, then exit

mod shapes {
    #[inline(never)]
    pub fn area(width: u64, height: u64) -> u64 {
        std::hint::black_box(width * height)
    }
}

#[inline(never)]
fn scale(value: u64) -> u64 {
    std::hint::black_box(value * 3)
}

fn main() {
    let rounds: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let mut total = 0;
    for i in 0..rounds {
        total += scale(i) + shapes::area(i, 2);
    }
    std::process::exit((total == u64::MAX) as i32);
}
