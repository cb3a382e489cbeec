//! Character sets: designation into G0–G3, locking and single shifts, the
//! national sets under DECNRCM, what DECSC, DECSTR and RIS do to them, and
//! that a hand-over keeps all of it. xterm_diff.rs checks the same against
//! xterm itself; these pin the model's side byte for byte.

use super::*;

fn fed(cols: u16, bytes: &str) -> Term {
    let mut t = Term::new(cols, 3, TermConfig::default());
    t.feed(bytes.as_bytes());
    t
}

fn first_row(t: &Term) -> String {
    t.capture(false, false)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

fn replies(t: &mut Term, query: &str) -> String {
    t.feed(query.as_bytes());
    String::from_utf8_lossy(&t.take_replies()).into_owned()
}

#[test]
fn g0_to_g3_each_invoked_into_gl() {
    // G1 by SO, G2 by LS2, G3 by LS3, back to G0 by SI.
    let t = fed(40, "\x1b(Bq\x1b)0\x0eq\x1b*>\x1bna\x1b+<\x1bo(\x0fq");
    assert_eq!(first_row(&t), "q─α¤q");
}

#[test]
fn single_shifts_take_one_character_from_g2_or_g3() {
    let t = fed(40, "\x1b*0\x1b+>\x1bNqq\x1bOaa");
    assert_eq!(first_row(&t), "─qαa");
    // Any character uses the shift up, even one no set changes.
    let t = fed(40, "\x1b*0\x1bN日q");
    assert_eq!(first_row(&t), "日q");
}

#[test]
fn gr_holds_latin1_characters_from_g2_unless_shifted() {
    // The default GR (G2, ASCII) leaves them as they are.
    let t = fed(40, "é×");
    assert_eq!(first_row(&t), "é×");
    // LS1R puts G1 (line drawing) in GR: U+00F1 is 0x71 there, `─`.
    let t = fed(40, "\x1b)0\x1b~ñ\x1b}ñ");
    assert_eq!(first_row(&t), "─ñ");
}

#[test]
fn national_sets_need_decnrcm() {
    let t = fed(40, "\x1b(K[\\]{|}~@");
    assert_eq!(first_row(&t), "[\\]{|}~@", "ignored without mode 42");
    let t = fed(40, "\x1b[?42h\x1b(K[\\]{|}~@\x1b(B[");
    assert_eq!(first_row(&t), "ÄÖÜäöüß§[");
    let t = fed(40, "\x1b[?42h\x1b(%6[\\]{|}");
    assert_eq!(first_row(&t), "ÃÇÕãçõ");
    let mut t = fed(40, "\x1b[?42h");
    assert_eq!(replies(&mut t, "\x1b[?42$p"), "\x1b[?42;1$y");
    t.feed(b"\x1b[?42l");
    assert_eq!(replies(&mut t, "\x1b[?42$p"), "\x1b[?42;2$y");
}

#[test]
fn british_is_latin1_without_decnrcm_and_pound_with_it() {
    assert_eq!(first_row(&fed(40, "\x1b(A#1a")), "£±á");
    assert_eq!(first_row(&fed(40, "\x1b[?42h\x1b(A#1a")), "£1a");
}

#[test]
fn unknown_designations_change_nothing() {
    let t = fed(40, "\x1b(0\x1b(%9\x1b(Wq\x1b-Zq");
    assert_eq!(first_row(&t), "──");
}

#[test]
fn decsc_saves_gl_gr_and_designations_and_decrc_restores_them() {
    let changed = "\x1b)0\x0e\x1b~\x1b*<\x1b7\x1b)B\x0f\x1b}\x1b*B";
    assert_eq!(first_row(&fed(40, &format!("{changed}qñ\x1bN("))), "qñ(");
    let t = fed(40, &format!("{changed}\x1b8qñ\x1bN("));
    assert_eq!(first_row(&t), "──¤");
}

#[test]
fn decstr_and_ris_reset_the_sets() {
    let shifted = "\x1b[?42h\x1b(K\x1b)0\x0e\x1b*0\x1b+0\x1b~\x1bN";
    let t = fed(40, &format!("{shifted}\x1b[!pq[é"));
    assert_eq!(first_row(&t), "q[é");
    let t = fed(40, &format!("{shifted}\x1bcq[é"));
    assert_eq!(first_row(&t), "q[é");
}

#[test]
fn decstr_keeps_decnrcm_and_ris_resets_it() {
    let mut t = fed(40, "\x1b[?42h\x1b[!p\x1b(K[");
    assert_eq!(first_row(&t), "Ä");
    assert_eq!(replies(&mut t, "\x1bc\x1b[?42$p"), "\x1b[?42;2$y");
}

#[test]
fn decscl_soft_resets_and_chooses_7_or_8_bit_answers() {
    let mut t = fed(40, "\x1b)0\x0e\x1b[4h\x1b[62\"pqq");
    assert_eq!(first_row(&t), "qq", "GL back to G0, insert mode off");
    t.feed(b"\x1b[5n");
    assert_eq!(t.take_replies(), b"\x9b0n", "8-bit answers");
    t.feed(b"\x1b[64;1\"p");
    assert_eq!(replies(&mut t, "\x1b[5n"), "\x1b[0n");
    t.feed(b"\x1b)0\x0e\x1b[99;1\"p");
    assert_eq!(replies(&mut t, "\x1b[5n"), "\x1b[0n");
    t.feed(b"q");
    assert_eq!(first_row(&t), "qq─", "an unknown level changes nothing");
}

#[test]
fn rep_repeats_the_character_shown_and_decfra_fills_as_given() {
    let t = fed(40, "\x1b*0\x1bNq\x1b[2b\x1b(0\x1b[113;1;4;1;5$x");
    assert_eq!(first_row(&t), "───qq");
}

#[test]
fn designations_xterm_shows_as_ascii() {
    for set in ["1", "2", "%0", "%2", "%3", "%="] {
        let t = fed(40, &format!("\x1b(0\x1b({set}q"));
        assert_eq!(first_row(&t), "q", "ESC ( {set}");
    }
}

#[test]
fn a_hand_over_keeps_every_set_and_a_waiting_single_shift() {
    let setup = "\x1b[?42h\x1b(K\x1b)0\x1b*>\x1b+<\x1bo\x1b~\x1b7\x1bn\x1b|\x1bN";
    let mut t = fed(40, setup);
    let mut back = Term::restore(&t.save()).unwrap();
    assert_eq!(back.to_state(), t.to_state());
    // SS2 (G2, technical), LS2, SO (G1), SI (G0, German), LS3R (G3 in GR,
    // DEC supplemental), then what DECSC saved: G3 in GL, G1 in GR (and
    // the cursor, back at the start of the row).
    let rest = "a[\x0eq\x0f[×\x1b8[×\x1b[?42$p";
    t.feed(rest.as_bytes());
    back.feed(rest.as_bytes());
    assert_eq!(first_row(&back), first_row(&t));
    assert_eq!(first_row(&t), "ÛW─ÄŒ");
    assert_eq!(back.take_replies(), t.take_replies());
}

#[test]
fn an_older_daemons_charsets_restore_as_they_were() {
    // A daemon before G2/G3 wrote g0, g1 and gl only.
    let mut t = fed(40, "\x1b)0\x0e");
    let mut state = t.to_state();
    let c = state.charsets.as_mut().unwrap();
    (c.g2, c.g3, c.gr, c.single_shift) = (0, 0, 0, 0);
    let mut back = Term::from_state(state).unwrap();
    for term in [&mut t, &mut back] {
        term.feed("qé\x1bNq".as_bytes());
    }
    assert_eq!(first_row(&back), "─éq");
    assert_eq!(back.to_state(), t.to_state());
}

#[test]
fn bad_charsets_in_a_saved_state_give_clear_errors() {
    let good = fed(10, "").to_state();
    let refused = |change: fn(&mut wrapd_proto::state::Charsets)| {
        let mut s = good.clone();
        change(s.charsets.as_mut().unwrap());
        Term::from_state(s).err().expect("refused").to_string()
    };
    assert!(refused(|c| c.gr = 4).contains("`charsets.gr` is 4"));
    assert!(refused(|c| c.gl = 4).contains("`charsets.gl` is 4"));
    assert!(refused(|c| c.single_shift = 1).contains("`charsets.single_shift` is 1"));
    assert!(refused(|c| c.g3 = 99).contains("charsets.g3"));
}
