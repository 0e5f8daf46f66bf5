import Foundation

/// The state directory: `<id>.json` holds a service's record, `<id>.log` its process's
/// output. Each write replaces the file atomically, so a crash leaves the old or the new
/// record, never half of one.
struct ServiceRecordStore: Sendable {
    let directory: URL

    /// The folder is made owner-only: its records hold instances' variables, tokens among them.
    init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
    }

    func logFile(of id: String) -> URL { directory.appendingPathComponent("\(id).log") }
    private func recordFile(of id: String) -> URL { directory.appendingPathComponent("\(id).json") }

    /// Every record, and the names of the files that could not be read as one.
    func loadAll() throws -> (records: [LocalServiceRecord], unreadable: [String]) {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var records: [LocalServiceRecord] = []
        var unreadable: [String] = []
        for file in files {
            if let record = try? Self.decoder.decode(LocalServiceRecord.self, from: Data(contentsOf: file)) {
                records.append(record)
            } else {
                unreadable.append(file.lastPathComponent)
            }
        }
        return (records, unreadable)
    }

    /// Owner-only: a record holds its instance's variables, its token among them, as
    /// Railway keeps a service's variables.
    func save(_ record: LocalServiceRecord) throws {
        let file = recordFile(of: record.id)
        try Self.encoder.encode(record).write(to: file, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }

    /// Removes the record and its log; a file already gone is fine.
    func remove(_ id: String) {
        try? FileManager.default.removeItem(at: recordFile(of: id))
        try? FileManager.default.removeItem(at: logFile(of: id))
    }

    // ISO 8601 with milliseconds: readable by an operator, precise enough for phase ends.
    private static let dateStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(dateStyle))
        }
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try dateStyle.parse(decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }()
}
