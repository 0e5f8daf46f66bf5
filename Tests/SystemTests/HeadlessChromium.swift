import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// the browser reads commands on its fd 3 and writes answers and events on its fd 4, each
/// a JSON message ended by a NUL byte). A page stays open while the test acts elsewhere,
/// and the test reads it by evaluating JavaScript in it: no WebSocket client, no port.
/// One command at a time; events the browser sends meanwhile are skipped.
final class HeadlessChromium: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var description: String }

    let pid: pid_t
    private let commands: Int32
    private let answers: Int32
    private var buffer: [UInt8] = []
    private var nextId = 0
    private var session: String?
    private let queue = DispatchQueue(label: "headless-chromium")
    private var stopped = false

    init(executable: String, profile: URL, windowSize: String = "1280,1000") throws {
        // A browser that died must fail the call writing to it, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        // Every end is moved above the standard descriptors and closes on exec; the
        // browser's ends become 3 and 4 in its process only, by the spawn's file actions.
        func pipeAboveStandardFds() throws -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw Failure(description: "pipe: errno \(errno)") }
            let moved = fds.map { fd -> Int32 in
                let high = fcntl(fd, F_DUPFD_CLOEXEC, 10)
                close(fd)
                return high
            }
            guard moved.allSatisfy({ $0 >= 10 }) else { throw Failure(description: "fcntl(F_DUPFD_CLOEXEC): errno \(errno)") }
            return (moved[0], moved[1])
        }
        let toBrowser = try pipeAboveStandardFds(), fromBrowser = try pipeAboveStandardFds()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toBrowser.read, 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser.write, 4)
        for (fd, flags) in [(Int32(0), O_RDONLY), (1, O_WRONLY), (2, O_WRONLY)] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", flags, 0)
        }
        let arguments = [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-extensions", "--user-data-dir=\(profile.path)",
                         "--window-size=\(windowSize)", "--remote-debugging-pipe", "about:blank"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // A process group of its own: stopping it stops its renderer and helper processes too.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attributes, &argv, environ)
        close(toBrowser.read)
        close(fromBrowser.write)
        guard rc == 0 else {
            close(toBrowser.write)
            close(fromBrowser.read)
            throw Failure(description: "could not start \(executable): posix_spawn returned \(rc)")
        }
        (pid, commands, answers) = (child, toBrowser.write, fromBrowser.read)
    }

    deinit { stop() }

    func stop() {
        if stopped { return }
        stopped = true
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(commands)
        close(answers)
    }

    /// Opens `url` in a new page and attaches to it: later commands go to that page.
    func open(_ url: String) async throws {
        let target = try await call("Target.createTarget", ["url": url], toPage: false)
        guard let targetId = target["targetId"] as? String else { throw Failure(description: "no targetId in \(target)") }
        let attached = try await call("Target.attachToTarget", ["targetId": targetId, "flatten": true], toPage: false)
        guard let session = attached["sessionId"] as? String else { throw Failure(description: "no sessionId in \(attached)") }
        self.session = session
    }

    /// The value of a JavaScript expression in the page (awaited when it is a promise),
    /// as JSON makes it: String, NSNumber, Bool, [Any], [String: Any] or nil.
    func evaluate(_ expression: String) async throws -> Any? {
        let answer = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = answer["exceptionDetails"] { throw Failure(description: "the page threw: \(exception)") }
        return (answer["result"] as? [String: Any])?["value"]
    }

    /// A PNG of the page as it is drawn now.
    func screenshot() async throws -> Data {
        let answer = try await call("Page.captureScreenshot", ["format": "png"])
        guard let base64 = answer["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot in the answer")
        }
        return png
    }

    /// Sends one command and waits (on a thread of its own, never the cooperative pool's)
    /// for its answer, at most `seconds`.
    func call(_ method: String, _ params: [String: Any] = [:], toPage: Bool = true, seconds: Double = 20) async throws -> [String: Any] {
        var message: [String: Any] = ["method": method, "params": params]
        if toPage {
            guard let session else { throw Failure(description: "\(method): no page is open") }
            message["sessionId"] = session
        }
        let request = Request(method: method, message: message)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Answer, any Error>) in
            queue.async {
                continuation.resume(with: Result { Answer(value: try self.callBlocking(request, seconds: seconds)) })
            }
        }.value
    }

    /// JSON values cross to the browser's thread and back as they are: nothing else holds them.
    private struct Request: @unchecked Sendable { var method: String; var message: [String: Any] }
    private struct Answer: @unchecked Sendable { var value: [String: Any] }

    private func callBlocking(_ request: Request, seconds: Double) throws -> [String: Any] {
        let method = request.method
        nextId += 1
        let id = nextId
        var message = request.message
        message["id"] = id
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "\(method): the browser's pipe is closed (errno \(errno))") }
            sent += n
        }
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            while let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                guard let answer = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      answer["id"] as? Int == id else { continue }
                if let error = answer["error"] { throw Failure(description: "\(method): \(error)") }
                return answer["result"] as? [String: Any] ?? [:]
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw Failure(description: "\(method): no answer within \(seconds) s") }
            var ready = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, Int32(left * 1000)) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = read(answers, &chunk, chunk.count)
            guard n > 0 else { throw Failure(description: "\(method): the browser closed its pipe") }
            buffer += chunk[..<n]
        }
    }
}
