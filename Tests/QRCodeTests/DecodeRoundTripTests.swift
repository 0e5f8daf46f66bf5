import Foundation
@testable import QRCode
import TestSupport
import Testing

/// SVG → PNG (rsvg-convert) → text (zbarimg): an independent reader must get back the exact
/// input. This is the test that says a phone can scan the dashboard's code.
@Suite(.enabled(if: DecoderTools.shouldRun, Comment(rawValue: DecoderTools.missingMessage ?? "")))
struct DecodeRoundTripTests {
    static let invitePrefix = "https://dev.convos.org/v2?i="

    @Test(arguments: [10, 60, 150, 400])
    func inviteURL(tokenLength: Int) throws {
        try expectRoundTrip(Self.invitePrefix + Self.urlSafeToken(length: tokenLength))
    }

    /// Multi-byte UTF-8 of two, three and four bytes per character.
    @Test func nonASCIIText() throws {
        try expectRoundTrip("Café ☕ 日本語 🎉 Привет")
    }

    @Test(arguments: ErrorCorrection.allCases)
    func everyLevel(level: ErrorCorrection) throws {
        try expectRoundTrip(Self.invitePrefix + Self.urlSafeToken(length: 150), level: level)
    }

    /// Version 40: all version information and a 7x7 grid of alignment patterns.
    @Test func largestSymbol() throws {
        try expectRoundTrip(Self.urlSafeToken(length: QRCode.maximumByteCount(level: .low)), level: .low)
    }

    private func expectRoundTrip(_ text: String, level: ErrorCorrection = .medium) throws {
        let tools = try #require(DecoderTools.find(), Comment(rawValue: DecoderTools.missingMessage ?? ""))
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("qr-roundtrip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let svg = directory.appendingPathComponent("code.svg")
        let png = directory.appendingPathComponent("code.png")

        try QRCode.encode(text, level: level).svg().write(to: svg, atomically: true, encoding: .utf8)
        let rendered = try run(tools.rsvgConvert, ["--output", png.path, svg.path])
        try #require(rendered.status == 0, "rsvg-convert failed: \(rendered.standardError)")
        let decoded = try run(tools.zbarimg, ["--quiet", "--raw", png.path])
        try #require(decoded.status == 0, "zbarimg found no code: \(decoded.standardError)")
        // --raw prints the payload followed by one newline.
        #expect(decoded.standardOutput == text + "\n")
    }

    /// Deterministic, varied characters from the URL-safe base64 alphabet.
    static func urlSafeToken(length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<length).map { alphabet[($0 * 37 + $0 / 64) % alphabet.count] })
    }

    private func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, standardOutput: String, standardError: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read before waiting: a full pipe would block the child forever.
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }
}

/// The external rasteriser and decoder, found on PATH. When one is missing the round trips are
/// skipped, except on CI (`CI=true`) where a silent skip would hide that nothing was checked.
enum DecoderTools {
    static let required = [(command: "rsvg-convert", package: "librsvg2-bin"), (command: "zbarimg", package: "zbar-tools")]

    static func find() -> (rsvgConvert: URL, zbarimg: URL)? {
        guard let rsvgConvert = executable(named: "rsvg-convert"), let zbarimg = executable(named: "zbarimg") else { return nil }
        return (rsvgConvert, zbarimg)
    }

    /// Run when the tools are there, and on CI even when they are not, so that the test fails.
    static var shouldRun: Bool {
        find() != nil || ProcessInfo.processInfo.environment["CI"] == "true"
    }

    /// Which commands are missing and the Debian packages that provide them; nil when none is.
    static var missingMessage: String? {
        let missing = required.filter { executable(named: $0.command) == nil }
        guard !missing.isEmpty else { return nil }
        let list = missing.map { "\($0.command) (Debian package \($0.package))" }.joined(separator: ", ")
        return "QR decode round trips need \(list): apt-get install -y \(missing.map(\.package).joined(separator: " "))"
    }

    private static func executable(named name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
