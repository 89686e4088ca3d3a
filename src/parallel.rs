//! Work spread over the machine's cores with the results kept in input order.
//!
//! Ingest must not depend on timing: records reach the store in the order they were
//! read, however many threads parsed them. [`ordered_map`] hands inputs to worker
//! threads in turn and takes the results back in that same turn, so the order is the
//! input order by construction, and at most a few inputs per worker are in flight.
//! [`ordered_streams`] does the same for inputs that each yield a stream of items (the
//! files of one ingest): a few are read at once, and their items are taken input by
//! input.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Inputs a worker may hold at once (queued, in work, or done and not yet taken).
const DEPTH: usize = 2;

/// Worker threads for parsing beside the thread that consumes: one per core.
pub fn workers() -> usize {
    // Asked once: the answer reads the cgroup's files, and ingest asks per input file.
    static WORKERS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *WORKERS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Maps `inputs` through `f` on `workers` threads and hands each result to `consume`
/// in input order, on the calling thread (which also produces the inputs). With one
/// worker, no thread is started. A worker's panic is raised on the calling thread.
pub fn ordered_map<I: Send, O: Send>(
    inputs: impl IntoIterator<Item = I>,
    workers: usize,
    f: impl Fn(I) -> O + Sync,
    mut consume: impl FnMut(O),
) {
    if workers <= 1 {
        inputs.into_iter().for_each(|i| consume(f(i)));
        return;
    }
    std::thread::scope(|scope| {
        let f = &f;
        let lanes: Vec<(SyncSender<I>, Receiver<O>)> = (0..workers)
            .map(|_| {
                let (jobs, job) = sync_channel::<I>(DEPTH);
                let (done, results) = sync_channel::<O>(DEPTH);
                scope.spawn(move || {
                    for input in job {
                        if done.send(f(input)).is_err() {
                            return;
                        }
                    }
                });
                (jobs, results)
            })
            .collect();
        // Input n goes to lane n mod workers; results are taken in the same turn. A lane
        // never holds more than DEPTH inputs, so neither channel ever blocks for good.
        let take = |n: usize| -> O {
            lanes[n % workers]
                .1
                .recv()
                .unwrap_or_else(|_| panic!("a parsing thread stopped (panicked)"))
        };
        let (mut sent, mut taken) = (0usize, 0usize);
        for input in inputs {
            if sent - taken == workers * DEPTH {
                consume(take(taken));
                taken += 1;
            }
            if lanes[sent % workers].0.send(input).is_err() {
                panic!("a parsing thread stopped (panicked)");
            }
            sent += 1;
        }
        while taken < sent {
            consume(take(taken));
            taken += 1;
        }
        drop(lanes);
    });
}

/// What a thread hands over for one input: all of its items, when it had no more than
/// `depth`; or the first `depth` and the channel of the rest (up to `depth` in it).
enum Turn<T> {
    Whole(Vec<T>),
    Stream(Vec<T>, Receiver<T>),
}

/// Runs `produce` over `inputs`, up to `ahead` of them at once, and hands what they
/// emit to `consume` on the calling thread: every item of the first input in the order
/// emitted, then every item of the second, and so on. An input holds at most
/// 2 × `depth` + 1 items before its producer waits (the first `depth`, then a channel
/// with room for `depth`: with room for one, producer and consumer took turns, and the
/// 2-million-message Slack export staged 7% slower), so memory stays bounded
/// whatever the inputs' sizes. The inputs are dealt round-robin to `ahead`
/// threads started once (a folder of twenty thousand small files starts two threads,
/// not twenty thousand), and an input of at most `depth` items is handed over at once
/// when it ends: one hand-over between threads, not one per item.
///
/// `consume` returns false to stop: the inputs not started are skipped, and the `emit`
/// of those running returns false from then on (their producers should return). A
/// producer's panic is raised on the calling thread when its input's turn comes.
pub fn ordered_streams<I: Sync, T: Send>(
    inputs: &[I],
    ahead: usize,
    depth: usize,
    produce: impl Fn(&I, &mut dyn FnMut(T) -> bool) + Sync,
    mut consume: impl FnMut(T) -> bool,
) {
    let lanes = ahead.max(1).min(inputs.len()).max(1);
    // Set before the consumer lets go of an input's items, so that a thread whose
    // producer stops for it does not start its next input.
    let stopped = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let produce = &produce;
        let stopped = &stopped;
        // Each thread hands over, for each of its inputs in turn, its items or the
        // receiving end of them.
        let mut threads: Vec<_> = (0..lanes)
            .map(|lane| {
                let (give, take) = sync_channel::<Turn<T>>(1);
                let handle = scope.spawn(move || {
                    for input in inputs.iter().skip(lane).step_by(lanes) {
                        if stopped.load(std::sync::atomic::Ordering::Acquire) {
                            return;
                        }
                        let mut first: Vec<T> = Vec::new();
                        let mut rest: Option<SyncSender<T>> = None;
                        let mut gone = false;
                        produce(input, &mut |t| {
                            if gone {
                                return false;
                            }
                            match &rest {
                                Some(tx) => gone = tx.send(t).is_err(),
                                None if first.len() < depth.max(1) => first.push(t),
                                None => {
                                    let (tx, rx) = sync_channel::<T>(depth.max(1));
                                    let held = std::mem::take(&mut first);
                                    gone = give.send(Turn::Stream(held, rx)).is_err()
                                        || tx.send(t).is_err();
                                    rest = Some(tx);
                                }
                            }
                            !gone
                        });
                        if gone || (rest.is_none() && give.send(Turn::Whole(first)).is_err()) {
                            return;
                        }
                    }
                });
                (take, handle)
            })
            .collect();
        'inputs: for i in 0..inputs.len() {
            let Ok(turn) = threads[i % lanes].0.recv() else {
                break; // its thread panicked: raised below
            };
            let (first, rest) = match turn {
                Turn::Whole(items) => (items, None),
                Turn::Stream(items, rest) => (items, Some(rest)),
            };
            for item in first.into_iter().chain(rest.into_iter().flatten()) {
                if !consume(item) {
                    stopped.store(true, std::sync::atomic::Ordering::Release);
                    break 'inputs;
                }
            }
        }
        for (take, handle) in threads.drain(..) {
            drop(take);
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order_whatever_the_timing() {
        for workers in [1, 2, 3, 5] {
            let mut got = Vec::new();
            ordered_map(
                0..200u64,
                workers,
                |i| {
                    // Uneven work, so that later inputs often finish first.
                    std::thread::sleep(std::time::Duration::from_micros((i * 37) % 200));
                    i * i
                },
                |o| got.push(o),
            );
            assert_eq!(got, (0..200u64).map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    #[should_panic(expected = "a parsing thread stopped")]
    fn a_worker_panic_reaches_the_caller() {
        ordered_map(
            0..10,
            2,
            |i: i32| if i == 3 { panic!("boom") } else { i },
            |_| {},
        );
    }

    #[test]
    fn streams_come_input_by_input_whatever_the_timing() {
        let inputs: Vec<u64> = (0..12).collect();
        for (ahead, depth) in [(1, 1), (2, 1), (3, 4), (20, 2)] {
            let mut got = Vec::new();
            ordered_streams(
                &inputs,
                ahead,
                depth,
                |&i, emit| {
                    for k in 0..i * 3 {
                        // Later inputs are quicker, so they would overtake if allowed.
                        std::thread::sleep(std::time::Duration::from_micros(200 - i * 15));
                        if !emit((i, k)) {
                            return;
                        }
                    }
                },
                |item| {
                    got.push(item);
                    true
                },
            );
            let want: Vec<(u64, u64)> = (0..12)
                .flat_map(|i| (0..i * 3).map(move |k| (i, k)))
                .collect();
            assert_eq!(got, want, "ahead {ahead}, depth {depth}");
        }
    }

    #[test]
    fn a_stopped_consumer_stops_the_producers() {
        let inputs: Vec<u64> = (0..50).collect();
        let emitted = std::sync::atomic::AtomicU64::new(0);
        let mut got = 0;
        ordered_streams(
            &inputs,
            3,
            2,
            |_, emit| {
                // Endless unless emit reports the consumer gone.
                while emit(()) {
                    emitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            },
            |()| {
                got += 1;
                got < 10
            },
        );
        assert_eq!(got, 10);
        // Ten taken; the rest in flight is bounded: 3 inputs, each holding 2 × depth 2 + 1.
        let emitted = emitted.into_inner();
        assert!(
            (10..=10 + 3 * (2 * 2 + 1)).contains(&emitted),
            "{emitted} emitted"
        );
    }

    #[test]
    #[should_panic(expected = "boom")]
    fn a_producer_panic_reaches_the_caller() {
        ordered_streams(
            &[1, 2, 3],
            2,
            1,
            |&i, emit| {
                if i == 2 {
                    panic!("boom");
                }
                emit(i);
            },
            |_| true,
        );
    }
}
