import Foundation
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The dashboard in headless Chromium against the real `poolctl serve --env here`:
/// the page reads the key (and one claim to submit) from the URL fragment, which the
/// browser never sends to the server, claims, and shows the invite, its QR code and the agent.
@Suite(.timeLimit(.minutes(3))) struct DashboardBrowserTests {
    static let key = "pool-key-browser-s3cr3t"
    static let agentName = "Kyoto <i>Trip</i> & co"

    static let spec = """
    minIdle: 1
    maxTotal: 3
    tickInterval: 1s
    environments:
      here:
        platform: local
    """

    /// Debian's `chromium` (scripts/test installs it); nil when it is not on PATH.
    static let chromium: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map(String.init) + ["/usr/bin"])
            .map { $0 + "/chromium" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    @Test(.enabled(if: chromium != nil || inCI, "chromium is not installed (apt-get install chromium; scripts/test does): browser test skipped"))
    func thePageClaimsAnAgentAndShowsItsInviteAndQRCode() async throws {
        let chromium = try #require(Self.chromium, "CI=true and chromium is not installed: scripts/test installs it")
        let pool = try await LocalServe.start(spec: Self.spec, key: Self.key)
        defer { pool.stop() }
        let (serve, base, dir) = (pool.serve, pool.base, pool.dir)
        try await eventually("an idle instance", seconds: 60) {
            try await ServeProcess.get(base + "/api/pool/counts").1.contains("\"idle\":1")
        }

        // 1. Key and claim from the fragment: the page submits its claim form once.
        let fragment = "live=0&key=\(Self.key)&claim=" + Self.agentName.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let claimed = try await Self.run(chromium, ["--dump-dom", base + "/#" + fragment], profile: dir.appendingPathComponent("p1"))
        #expect(claimed.contains("id=\"invite-link\" href=\"https://dev.convos.org/v2?i="), "no invite link in: \(claimed)")
        #expect(claimed.contains("id=\"invite-qr\"") && claimed.contains("src=\"blob:"), "no QR code image")
        // The name is shown as text, escaped, never as markup.
        #expect(claimed.contains("Kyoto &lt;i&gt;Trip&lt;/i&gt; &amp; co"), "the agent's name, escaped")
        #expect(!claimed.contains("<i>Trip</i>"), "the agent's name was inserted as HTML")
        #expect(!claimed.contains("class=\"error\""), "an API error was shown: \(claimed)")
        #expect(!claimed.contains(Self.key), "the key is not in the page")

        // The server agrees, and the next page load lists the agent as claimed.
        let auth = ["Authorization": "Bearer \(Self.key)"]
        try await eventually("the claimed agent in the status", seconds: 30) {
            let status = try await ServeProcess.get(base + "/api/pool/status", headers: auth).1
            return status.contains("\"state\":\"claimed\"") && status.contains("Kyoto")
        }
        let listed = try await Self.run(chromium, ["--dump-dom", base + "/#live=0&key=\(Self.key)"], profile: dir.appendingPathComponent("p2"))
        #expect(listed.contains("class=\"agent-name\">Kyoto &lt;i&gt;Trip&lt;/i&gt; &amp; co</td>"), "the claimed agents table: \(listed)")
        #expect(listed.contains("data-kill=\""), "a kill button")
        #expect(listed.contains("data-state=\"claimed\"><b>1</b>"), "the pool bar counts the claimed instance")

        // 2. A screenshot for people, under test-output/ (ignored by git).
        let output = URL(fileURLWithPath: Poolctl.packageRoot).appendingPathComponent("test-output")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let png = output.appendingPathComponent("dashboard.png")
        try? FileManager.default.removeItem(at: png)
        _ = try await Self.run(chromium, ["--screenshot=\(png.path)", "--window-size=1280,900", base + "/#live=0&key=\(Self.key)"],
                               profile: dir.appendingPathComponent("p3"))
        let size = (try? FileManager.default.attributesOfItem(atPath: png.path)[.size] as? Int) ?? 0
        #expect(size > 10_000, "a screenshot at \(png.path)")

        #expect(!serve.stderr.contains(Self.key), "the key never reaches the server's logs")
        serve.process.terminate()
        #expect(await serve.waitForExit(seconds: 30) == 0, "\(serve.stderr)")
    }

    /// Runs headless Chromium on a fresh profile; its stdout (the DOM for --dump-dom).
    static func run(_ chromium: String, _ args: [String], profile: URL) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--no-first-run", "--disable-extensions", "--user-data-dir=\(profile.path)",
                             "--virtual-time-budget=10000"] + args
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = out.fileHandleForReading.readDataToEndOfFile()
                let deadline = Date().addingTimeInterval(60)
                while process.isRunning && Date() < deadline { usleep(50_000) }
                if process.isRunning { process.terminate() }
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
    }
}
