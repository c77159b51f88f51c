//! The Rust peers of coop's executor benchmark (test/bench/bench_sched.c):
//! Tokio's runtime-benchmark workloads on four executors, in one process.
//!
//!   yield_many     200 tasks x 1000 yields              ns per yield
//!   spawn_many     1,000,000 trivial tasks              ns per task
//!   ping_pong      two tasks, two channels of 1 slot    ns per round trip
//!   chained_spawn  each task spawns the next, depth 1000 ns per spawn
//!
//! Executors: tokio current_thread, tokio multi_thread with 2 workers (the
//! workload run as block_on's future, on the calling thread, and again
//! inside a task spawned on the runtime, `_in_task`, as coop's
//! sched_mt_* runs do), futures' LocalPool, and a port of the blog_os
//! executor (a map of tasks, a queue of ready task ids, a waker per task
//! that pushes its id).  Each
//! workload runs REPEAT times; the median is printed as
//! `BENCH peer/<executor>_<workload> <value> <unit>`.
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Instant;

use futures::channel::mpsc as fmpsc;
use futures::{SinkExt, StreamExt};

const YIELD_TASKS: usize = 200;
const YIELDS: usize = 1000;
const SPAWNS: usize = 1_000_000;
const PINGS: usize = 200_000;
const CHAIN_DEPTH: usize = 1000;
const CHAIN_REPEAT: usize = 100;
const REPEAT: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn report(exec: &str, workload: &str, unit: &str, f: impl Fn() -> f64) {
    let v: Vec<f64> = (0..REPEAT).map(|_| f()).collect();
    println!("BENCH peer/{}_{} {:.2} {}", exec, workload, median(v), unit);
}

fn per(t0: Instant, n: usize) -> f64 {
    t0.elapsed().as_nanos() as f64 / n as f64
}

/// Pending once (after waking itself), then ready: yield_now for the
/// executors that have none of their own.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

// ---- tokio ---------------------------------------------------------------------

fn tokio_rt(multi: bool) -> tokio::runtime::Runtime {
    if multi {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap()
    } else {
        tokio::runtime::Builder::new_current_thread().build().unwrap()
    }
}

fn tokio_chain(done: tokio::sync::oneshot::Sender<()>, n: usize) {
    if n == 0 {
        let _ = done.send(());
    } else {
        tokio::spawn(async move { tokio_chain(done, n - 1) });
    }
}

// The workloads as async functions, so each runs either in block_on (as the
// root future) or inside a spawned task.

async fn tokio_yield_many() {
    let hs: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            tokio::spawn(async {
                for _ in 0..YIELDS {
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for h in hs {
        h.await.unwrap();
    }
}

async fn tokio_spawn_many() {
    let mut hs = Vec::with_capacity(SPAWNS);
    for _ in 0..SPAWNS {
        hs.push(tokio::spawn(async {}));
    }
    for h in hs {
        h.await.unwrap();
    }
}

async fn tokio_ping_pong() {
    let (atx, mut arx) = tokio::sync::mpsc::channel::<u64>(1);
    let (btx, mut brx) = tokio::sync::mpsc::channel::<u64>(1);
    let ping = tokio::spawn(async move {
        for i in 0..PINGS as u64 {
            atx.send(i).await.unwrap();
            brx.recv().await.unwrap();
        }
    });
    let pong = tokio::spawn(async move {
        for _ in 0..PINGS {
            let v = arx.recv().await.unwrap();
            btx.send(v + 1).await.unwrap();
        }
    });
    ping.await.unwrap();
    pong.await.unwrap();
}

async fn tokio_chained_spawn() {
    for _ in 0..CHAIN_REPEAT {
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move { tokio_chain(tx, CHAIN_DEPTH - 1) });
        rx.await.unwrap();
    }
}

/// Runs a workload on rt: as block_on's own future (`in_task` false: on the
/// calling thread, which is not one of a multi-thread runtime's workers), or
/// inside a task spawned on the runtime (its workers).  Returns ns per unit.
fn tokio_time<F: std::future::Future<Output = ()> + Send + 'static>(
    rt: &tokio::runtime::Runtime,
    in_task: bool,
    n: usize,
    work: impl FnOnce() -> F,
) -> f64 {
    rt.block_on(async {
        let t0 = Instant::now();
        if in_task {
            tokio::spawn(work()).await.unwrap();
        } else {
            work().await;
        }
        per(t0, n)
    })
}

fn bench_tokio(multi: bool, in_task: bool) {
    let name = match (multi, in_task) {
        (false, _) => "tokio_current_thread",
        (true, false) => "tokio_multi_thread2",
        (true, true) => "tokio_multi_thread2_in_task",
    };
    let rt = tokio_rt(multi);
    report(name, "yield_many", "ns/yield", || {
        tokio_time(&rt, in_task, YIELD_TASKS * YIELDS, tokio_yield_many)
    });
    report(name, "spawn_many", "ns/task", || tokio_time(&rt, in_task, SPAWNS, tokio_spawn_many));
    report(name, "ping_pong", "ns/roundtrip", || tokio_time(&rt, in_task, PINGS, tokio_ping_pong));
    report(name, "chained_spawn", "ns/spawn", || {
        tokio_time(&rt, in_task, CHAIN_DEPTH * CHAIN_REPEAT, tokio_chained_spawn)
    });
}

// ---- futures LocalPool -------------------------------------------------------------

fn localpool_chain(sp: futures::executor::LocalSpawner, n: usize) {
    use futures::task::LocalSpawnExt;
    if n > 0 {
        let next = sp.clone();
        sp.spawn_local(async move { localpool_chain(next, n - 1) }).unwrap();
    }
}

fn bench_localpool() {
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    let name = "futures_localpool";
    report(name, "yield_many", "ns/yield", || {
        let mut pool = LocalPool::new();
        let sp = pool.spawner();
        let t0 = Instant::now();
        for _ in 0..YIELD_TASKS {
            sp.spawn_local(async {
                for _ in 0..YIELDS {
                    YieldNow(false).await;
                }
            })
            .unwrap();
        }
        pool.run();
        per(t0, YIELD_TASKS * YIELDS)
    });
    report(name, "spawn_many", "ns/task", || {
        let mut pool = LocalPool::new();
        let sp = pool.spawner();
        let t0 = Instant::now();
        for _ in 0..SPAWNS {
            sp.spawn_local(async {}).unwrap();
        }
        pool.run();
        per(t0, SPAWNS)
    });
    report(name, "ping_pong", "ns/roundtrip", || {
        let mut pool = LocalPool::new();
        let sp = pool.spawner();
        let t0 = Instant::now();
        spawn_ping_pong(|f| sp.spawn_local(f).unwrap());
        pool.run();
        per(t0, PINGS)
    });
    report(name, "chained_spawn", "ns/spawn", || {
        let mut pool = LocalPool::new();
        let t0 = Instant::now();
        for _ in 0..CHAIN_REPEAT {
            localpool_chain(pool.spawner(), CHAIN_DEPTH);
            pool.run();
        }
        per(t0, CHAIN_DEPTH * CHAIN_REPEAT)
    });
}

/// Two tasks over two futures::channel::mpsc channels of one slot (buffer 0
/// plus the one sender's own slot).
fn spawn_ping_pong(mut spawn: impl FnMut(Pin<Box<dyn Future<Output = ()>>>)) {
    let (mut atx, mut arx) = fmpsc::channel::<u64>(0);
    let (mut btx, mut brx) = fmpsc::channel::<u64>(0);
    spawn(Box::pin(async move {
        for i in 0..PINGS as u64 {
            atx.send(i).await.unwrap();
            brx.next().await.unwrap();
        }
    }));
    spawn(Box::pin(async move {
        for _ in 0..PINGS {
            let v = arx.next().await.unwrap();
            btx.send(v + 1).await.unwrap();
        }
    }));
}

// ---- the blog_os executor ----------------------------------------------------------
//
// As in blog_os's "Async/Await" post: tasks in a BTreeMap by id, a queue of
// ready ids shared with the wakers, a cache of one waker per task.  The
// post's crossbeam ArrayQueue is replaced by crossbeam's unbounded channel
// (Debian packages crossbeam-channel, not crossbeam-queue), and tasks may
// spawn through a Spawner queue that the executor drains (the post's
// executor cannot spawn from inside a task; chained_spawn needs it).

type LocalTask = Pin<Box<dyn Future<Output = ()>>>;

struct TaskWaker {
    id: u64,
    queue: crossbeam_channel::Sender<u64>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.queue.send(self.id).expect("task queue");
    }
}

#[derive(Clone, Default)]
struct Spawner(Rc<RefCell<Vec<LocalTask>>>);

impl Spawner {
    fn spawn(&self, f: impl Future<Output = ()> + 'static) {
        self.0.borrow_mut().push(Box::pin(f));
    }
}

struct BlogOsExecutor {
    tasks: BTreeMap<u64, LocalTask>,
    tx: crossbeam_channel::Sender<u64>,
    rx: crossbeam_channel::Receiver<u64>,
    wakers: BTreeMap<u64, Waker>,
    next_id: u64,
    spawner: Spawner,
}

impl BlogOsExecutor {
    fn new() -> Self {
        let (tx, rx) = crossbeam_channel::unbounded();
        BlogOsExecutor {
            tasks: BTreeMap::new(),
            tx,
            rx,
            wakers: BTreeMap::new(),
            next_id: 0,
            spawner: Spawner::default(),
        }
    }

    fn spawn(&mut self, f: LocalTask) {
        let id = self.next_id;
        self.next_id += 1;
        assert!(self.tasks.insert(id, f).is_none());
        self.tx.send(id).expect("task queue");
    }

    fn take_spawned(&mut self) {
        let new: Vec<LocalTask> = self.spawner.0.borrow_mut().drain(..).collect();
        for f in new {
            self.spawn(f);
        }
    }

    /// Runs until no task is ready (the post's run_ready_tasks, looped).
    fn run(&mut self) {
        self.take_spawned();
        while let Ok(id) = self.rx.try_recv() {
            let task = match self.tasks.get_mut(&id) {
                Some(t) => t,
                None => continue, // finished already
            };
            let tx = &self.tx;
            let waker = self
                .wakers
                .entry(id)
                .or_insert_with(|| Waker::from(Arc::new(TaskWaker { id, queue: tx.clone() })));
            let mut cx = Context::from_waker(waker);
            if task.as_mut().poll(&mut cx).is_ready() {
                self.tasks.remove(&id);
                self.wakers.remove(&id);
            }
            self.take_spawned();
        }
    }
}

fn blogos_chain(sp: Spawner, n: usize) {
    if n > 0 {
        let next = sp.clone();
        sp.spawn(async move { blogos_chain(next, n - 1) });
    }
}

fn bench_blogos() {
    let name = "blog_os";
    report(name, "yield_many", "ns/yield", || {
        let mut ex = BlogOsExecutor::new();
        let t0 = Instant::now();
        for _ in 0..YIELD_TASKS {
            ex.spawn(Box::pin(async {
                for _ in 0..YIELDS {
                    YieldNow(false).await;
                }
            }));
        }
        ex.run();
        per(t0, YIELD_TASKS * YIELDS)
    });
    report(name, "spawn_many", "ns/task", || {
        let mut ex = BlogOsExecutor::new();
        let t0 = Instant::now();
        for _ in 0..SPAWNS {
            ex.spawn(Box::pin(async {}));
        }
        ex.run();
        per(t0, SPAWNS)
    });
    report(name, "ping_pong", "ns/roundtrip", || {
        let mut ex = BlogOsExecutor::new();
        let t0 = Instant::now();
        spawn_ping_pong(|f| ex.spawn(f));
        ex.run();
        per(t0, PINGS)
    });
    report(name, "chained_spawn", "ns/spawn", || {
        let mut ex = BlogOsExecutor::new();
        let t0 = Instant::now();
        for _ in 0..CHAIN_REPEAT {
            blogos_chain(ex.spawner.clone(), CHAIN_DEPTH);
            ex.run();
        }
        per(t0, CHAIN_DEPTH * CHAIN_REPEAT)
    });
}

fn main() {
    bench_tokio(false, false);
    bench_localpool();
    bench_blogos();
    bench_tokio(true, false);
    bench_tokio(true, true);
}
