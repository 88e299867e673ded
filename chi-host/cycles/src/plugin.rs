//! The model as a TCG plugin of QEMU 7.2 (plugin API version 1, the C ABI of its
//! `qemu-plugin.h`, declared here by hand; the functions are QEMU's own, resolved when it
//! loads the library).
//!
//! Arguments: `out=PATH`, the file the marks are written to; `marks=ADDRESS`, the firmware's
//! mark words (the ELF symbol `CHI_CYCLE_MARKS`, 32 words). A store to word `w` writes a line
//! `mark w INSTRUCTIONS CYCLES CORE REFILL EXCEPTION FETCH DATA LITERAL PERIPHERAL` with the
//! counts so far, at once, so a run that is killed (as `chi hil` stops QEMU) keeps every
//! mark it reached. At exit a `total` line of the same counts and an `unknown MNEMONIC N`
//! line per mnemonic the tables did not know. With `profile=SPAN`, the instructions run
//! inside that span are profiled, and at exit a `profile ADDRESS EXECUTIONS CYCLES` line
//! per address gives their share: each instruction is charged the cycles from its start to
//! the next one's, its memory's stalls and a refill it causes included.

use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

use crate::MARK_WORDS;
use crate::core::{Core, Counts, Instruction};
use crate::timing::{Known, classify};

type PluginId = u64;
#[repr(C)]
struct Tb {
    _private: [u8; 0],
}
#[repr(C)]
struct Insn {
    _private: [u8; 0],
}

const CB_NO_REGS: c_int = 0;
const MEM_RW: c_int = 3;

unsafe extern "C" {
    fn qemu_plugin_register_vcpu_tb_trans_cb(
        id: PluginId,
        cb: unsafe extern "C" fn(PluginId, *mut Tb),
    );
    fn qemu_plugin_register_atexit_cb(
        id: PluginId,
        cb: unsafe extern "C" fn(PluginId, *mut c_void),
        userdata: *mut c_void,
    );
    fn qemu_plugin_tb_n_insns(tb: *const Tb) -> usize;
    fn qemu_plugin_tb_get_insn(tb: *const Tb, index: usize) -> *mut Insn;
    fn qemu_plugin_insn_vaddr(insn: *const Insn) -> u64;
    fn qemu_plugin_insn_size(insn: *const Insn) -> usize;
    fn qemu_plugin_insn_data(insn: *const Insn) -> *const c_void;
    fn qemu_plugin_insn_disas(insn: *const Insn) -> *mut c_char;
    fn qemu_plugin_register_vcpu_insn_exec_cb(
        insn: *mut Insn,
        cb: unsafe extern "C" fn(u32, *mut c_void),
        flags: c_int,
        userdata: *mut c_void,
    );
    fn qemu_plugin_register_vcpu_mem_cb(
        insn: *mut Insn,
        cb: unsafe extern "C" fn(u32, u32, u64, *mut c_void),
        flags: c_int,
        rw: c_int,
        userdata: *mut c_void,
    );
    fn qemu_plugin_mem_is_store(info: u32) -> bool;
    fn qemu_plugin_outs(text: *const c_char);
    fn free(p: *mut c_void);
}

/// The plugin API version this library is built against.
#[unsafe(no_mangle)]
pub static qemu_plugin_version: c_int = 1;

/// An instruction and its slot in the profile.
struct Site {
    instruction: Instruction,
    slot: usize,
}

struct State {
    core: Core,
    out: File,
    marks: u64,
    /// Instructions by address, made once and kept for the run (QEMU may translate a block
    /// again; the record is reused).
    instructions: HashMap<u64, &'static Site>,
    unknown: HashMap<String, u64>,
    /// The profiled span, if any, and whether it is open.
    profile: Option<u64>,
    profiling: bool,
    /// (address, executions, cycles) by slot.
    slots: Vec<(u64, u64, u64)>,
    /// The slot of the instruction running and the cycle count when it started.
    running: Option<(usize, u64)>,
}

impl State {
    /// Charges the running instruction with the cycles since it started.
    fn charge(&mut self) {
        let now = self.core.counts().cycles();
        if let Some((slot, start)) = self.running.take()
            && let Some(s) = self.slots.get_mut(slot)
        {
            s.2 += now - start;
        }
    }
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn with_state(f: impl FnOnce(&mut State)) {
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = guard.as_mut() {
        f(s);
    }
}

fn say(text: &str) {
    if let Ok(c) = std::ffi::CString::new(text) {
        // SAFETY: a NUL-terminated string QEMU only reads.
        unsafe { qemu_plugin_outs(c.as_ptr()) };
    }
}

fn counts_line(c: &Counts) -> String {
    format!(
        "{} {} {} {} {} {} {} {} {}",
        c.instructions,
        c.cycles(),
        c.core,
        c.refill,
        c.exception,
        c.stalls.fetch,
        c.stalls.data,
        c.stalls.literal,
        c.stalls.peripheral
    )
}

unsafe extern "C" fn on_execute(_vcpu: u32, userdata: *mut c_void) {
    // SAFETY: `userdata` is a `Site` leaked in `on_translate`, never freed.
    let site = unsafe { &*(userdata as *const Site) };
    with_state(|s| {
        if s.profiling {
            s.charge();
            s.running = Some((site.slot, s.core.counts().cycles()));
            if let Some(slot) = s.slots.get_mut(site.slot) {
                slot.1 += 1;
            }
        }
        s.core.execute(&site.instruction);
    });
}

unsafe extern "C" fn on_memory(_vcpu: u32, info: u32, address: u64, _userdata: *mut c_void) {
    // SAFETY: `info` is the value QEMU passed to this callback.
    let store = unsafe { qemu_plugin_mem_is_store(info) };
    with_state(|s| {
        s.core.access(address, store);
        if store && (s.marks..s.marks + 4 * MARK_WORDS).contains(&address) {
            let word = (address - s.marks) / 4;
            if let Some(span) = s.profile {
                if word == 2 * span {
                    s.profiling = true;
                    s.running = None;
                } else if word == 2 * span + 1 {
                    s.charge();
                    s.profiling = false;
                }
            }
            let line = format!("mark {word} {}\n", counts_line(&s.core.counts()));
            if s.out.write_all(line.as_bytes()).is_err() {
                say("chi-cycles: cannot write the marks file\n");
            }
        }
    });
}

unsafe extern "C" fn on_translate(_id: PluginId, tb: *mut Tb) {
    // SAFETY: QEMU's block and its instructions are valid during this callback.
    let n = unsafe { qemu_plugin_tb_n_insns(tb) };
    for i in 0..n {
        let insn = unsafe { qemu_plugin_tb_get_insn(tb, i) };
        let address = unsafe { qemu_plugin_insn_vaddr(insn) };
        let mut record: Option<&'static Site> = None;
        with_state(|s| {
            let r = *s.instructions.entry(address).or_insert_with(|| {
                let text = unsafe { qemu_plugin_insn_disas(insn) };
                let disassembly = if text.is_null() {
                    String::new()
                } else {
                    let d = unsafe { CStr::from_ptr(text) }
                        .to_string_lossy()
                        .into_owned();
                    unsafe { free(text.cast()) };
                    d
                };
                let (timing, known) = classify(&disassembly);
                if known == Known::No {
                    let mnemonic = disassembly.split_whitespace().next().unwrap_or("?");
                    *s.unknown.entry(mnemonic.to_string()).or_default() += 1;
                }
                let size = thumb_size(insn);
                let slot = s.slots.len();
                s.slots.push((address, 0, 0));
                Box::leak(Box::new(Site {
                    instruction: Instruction {
                        address,
                        size,
                        timing,
                    },
                    slot,
                }))
            });
            record = Some(r);
        });
        let Some(record) = record else { continue };
        let userdata = (record as *const Site).cast_mut().cast();
        unsafe {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_execute, CB_NO_REGS, userdata);
            qemu_plugin_register_vcpu_mem_cb(
                insn,
                on_memory,
                CB_NO_REGS,
                MEM_RW,
                std::ptr::null_mut(),
            );
        }
    }
}

/// The instruction's size from its first halfword (Thumb-2: 32 bits when its top five bits
/// are 0b11101, 0b11110 or 0b11111). QEMU 7.2's own size counts the halfword its translator
/// reads past the last instruction before a page boundary, to see whether it crosses.
fn thumb_size(insn: *const Insn) -> u64 {
    // SAFETY: the instruction's bytes, at least its reported size, valid during translation.
    let (len, data) = unsafe { (qemu_plugin_insn_size(insn), qemu_plugin_insn_data(insn)) };
    if len < 2 || data.is_null() {
        return len as u64;
    }
    let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), 2) };
    let first = u16::from_le_bytes([bytes[0], bytes[1]]);
    if first >> 11 >= 0b11101 { 4 } else { 2 }
}

unsafe extern "C" fn on_exit(_id: PluginId, _userdata: *mut c_void) {
    with_state(|s| {
        let mut text = format!("total {}\n", counts_line(&s.core.counts()));
        let mut unknown: Vec<_> = s.unknown.iter().collect();
        unknown.sort();
        for (m, n) in unknown {
            text.push_str(&format!("unknown {m} {n}\n"));
        }
        for (address, executions, cycles) in s.slots.iter().filter(|p| p.1 > 0) {
            text.push_str(&format!("profile {address:#x} {executions} {cycles}\n"));
        }
        if s.out.write_all(text.as_bytes()).is_err() {
            say("chi-cycles: cannot write the marks file\n");
        }
    });
}

/// QEMU's entry point: reads the arguments, opens the marks file, registers the callbacks.
///
/// # Safety
/// Called by QEMU with `argc` valid C strings in `argv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn qemu_plugin_install(
    id: PluginId,
    _info: *const c_void,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    let args: Vec<String> = (0..usize::try_from(argc).unwrap_or(0))
        .map(|i| {
            // SAFETY: QEMU passes `argc` valid C strings.
            unsafe { CStr::from_ptr(*argv.add(i)) }
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let crate::Arguments {
        out: path,
        marks,
        profile,
    } = match crate::arguments(&args) {
        Ok(p) => p,
        Err(e) => {
            say(&format!("chi-cycles: {e}\n"));
            return -1;
        }
    };
    let out = match File::create(&path) {
        Ok(f) => f,
        Err(e) => {
            say(&format!("chi-cycles: cannot create {path}: {e}\n"));
            return -1;
        }
    };
    *STATE.lock().unwrap_or_else(|e| e.into_inner()) = Some(State {
        core: Core::default(),
        out,
        marks,
        instructions: HashMap::new(),
        unknown: HashMap::new(),
        profile,
        profiling: false,
        slots: Vec::new(),
        running: None,
    });
    // SAFETY: registering callbacks with the id QEMU gave.
    unsafe {
        qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
        qemu_plugin_register_atexit_cb(id, on_exit, std::ptr::null_mut());
    }
    0
}
