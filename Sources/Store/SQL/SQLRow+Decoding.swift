import Model
import Foundation

extension SQLRow {
    func requiredText(_ column: String) throws -> String {
        guard let value = try text(column) else { throw StoreError.unexpectedValue(column: column, value: "NULL") }
        return value
    }

    func requiredInteger(_ column: String) throws -> Int64 {
        guard let value = try integer(column) else { throw StoreError.unexpectedValue(column: column, value: "NULL") }
        return value
    }

    func requiredDate(_ column: String) throws -> Date {
        Date(storeMillis: try requiredInteger(column))
    }

    func date(_ column: String) throws -> Date? {
        try integer(column).map(Date.init(storeMillis:))
    }

    /// A text column holding one of an enum's raw values.
    func enumValue<E: RawRepresentable>(_ column: String, as type: E.Type) throws -> E? where E.RawValue == String {
        guard let raw = try text(column) else { return nil }
        guard let value = E(rawValue: raw) else { throw StoreError.unexpectedValue(column: column, value: raw) }
        return value
    }

    func requiredEnum<E: RawRepresentable>(_ column: String, as type: E.Type) throws -> E where E.RawValue == String {
        guard let value = try enumValue(column, as: type) else {
            throw StoreError.unexpectedValue(column: column, value: "NULL")
        }
        return value
    }
}
