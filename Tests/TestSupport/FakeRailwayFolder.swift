import Foundation
import RailwayFake

/// A fake Railway on loopback and a folder holding `spec` as pool.yaml, for running the
/// real `poolctl` against: `body` gets the environment a command needs (the fake's URL and
/// token, the pool key, the instance secret, an SQLite store in the folder), the fake and the spec's path.
/// Both are gone afterwards.
public func withFakeRailway(spec: String, token: String, key: String,
                            _ body: (_ env: [String: String], _ fake: RailwayFake, _ specPath: String) async throws -> Void) async throws {
    let fake = try RailwayFake(configuration: .init(accountTokens: [token], epoch: Date()))
    let url = try await fake.start()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fake-railway-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let specPath = dir.appendingPathComponent("pool.yaml").path
    try spec.write(toFile: specPath, atomically: true, encoding: .utf8)
    let env = ["RAILWAY_API_URL": url, "RAILWAY_API_TOKEN": token, "POOL_API_KEY": key,
               "POOL_INSTANCE_SECRET": TestCredentials.secret,
               "POOL_SQLITE_PATH": dir.appendingPathComponent("pool.sqlite").path]
    do { try await body(env, fake, specPath) } catch { await fake.stop(); throw error }
    await fake.stop()
    try? FileManager.default.removeItem(at: dir)
}
