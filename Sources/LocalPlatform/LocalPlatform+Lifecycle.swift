import Foundation

/// Start and stop: what survives a controller restart, and what does not outlive `shutdown()`.
extension LocalPlatform {
    /// Rebuilds the services from the state directory. A process still running (alive and
    /// listening on its port) is adopted as is; a finished build whose process is gone is
    /// started again on its port, so the pool survives a controller restart; a service
    /// whose delete was interrupted is deleted now.
    func recover() async throws {
        let (saved, unreadable) = try store.loadAll()
        for file in unreadable {
            logger.error("ignoring unreadable local service record", metadata: ["file": "\(file)"])
        }
        let now = configuration.now()
        for var record in saved {
            let runs = if let pid = record.pid { await InstanceProcess.isInstance(pid: pid, port: record.port) } else { false }
            if record.deleting {
                if runs, let pid = record.pid { await InstanceProcess.stop(pid) }
                store.remove(record.id)
                continue
            }
            if runs {
                logger.info("adopted running local instance", metadata: [
                    "service": "\(record.id)", "pid": "\(record.pid!)"])
            } else {
                // Gone, or the pid now belongs to something else: either way not ours to stop.
                record.pid = nil
                try store.save(record)
            }
            records[record.id] = record
            if record.needsProcess(at: now) {
                try startProcess(record.id)
            }
        }
    }

    /// Stops every instance process (SIGTERM, then SIGKILL after the grace period), starts
    /// no more, and gives the state folder up. The records stay: a later start over the
    /// same state directory restarts the finished instances on their ports.
    public func shutdown() async {
        isShutDown = true
        let running = records.values.compactMap { record in record.pid.map { (record.id, $0) } }
        await withTaskGroup(of: Void.self) { group in
            for (_, pid) in running {
                group.addTask { await InstanceProcess.stop(pid) }
            }
        }
        for (id, _) in running {
            guard var record = records[id] else { continue }
            record.pid = nil
            do {
                try store.save(record)
                records[id] = record
            } catch {
                logger.error("cannot record stopped local instance", metadata: ["service": "\(id)", "error": "\(error)"])
            }
        }
        lock.release()
        logger.info("local platform shut down", metadata: ["stopped": "\(running.count)"])
    }
}
