// Runs a task's jobs on a NIO event loop, so that a load-generator task and the connection it
// sends on share one thread: when the response arrives, the task resumes on the loop that read it,
// instead of being handed to another thread (a futex wake and a context switch per request, which
// on two cores cost more than the HTTP parsing). Used with `addTask(executorPreference:)`.

import NIOCore

final class LoadEventLoopExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
