/// The instance secret in force and, during a rotation, the one before it.
///
/// Why derived tokens rather than random ones kept in the store: a token is
/// HMAC-SHA256(secret, version, instance id), so the store holds no credential at all (a
/// leaked database or backup opens no instance), every replica computes the same token
/// without sharing state, and a self-destruct can be checked even after the instance's
/// record is gone. The cost is that the secret must be kept, versioned and rotated; the
/// version is recorded with each instance so that rotation is visible and bounded.
public struct InstanceSecrets: Sendable, Equatable, CustomStringConvertible {
    public var current: InstanceSecret
    /// The secret of version `current.version - 1`, kept until no instance uses it.
    public var previous: InstanceSecret?

    public static let variable = "POOL_INSTANCE_SECRET"
    public static let versionVariable = "POOL_INSTANCE_SECRET_VERSION"
    public static let previousVariable = "POOL_INSTANCE_SECRET_PREVIOUS"
    /// Every variable that holds a secret of the manager's own: none may reach an instance.
    public static let managerOnlyVariables = ["POOL_API_KEY", variable, previousVariable]

    public init(current: InstanceSecret, previous: InstanceSecret? = nil) {
        self.current = current
        self.previous = previous
    }

    /// Reads the secrets from a process environment; nil when `POOL_INSTANCE_SECRET` is
    /// unset or empty. A rotation sets the new secret, raises the version by one and keeps
    /// the old value as `POOL_INSTANCE_SECRET_PREVIOUS`.
    public static func fromEnvironment(_ env: [String: String]) throws(InstanceSecretError) -> InstanceSecrets? {
        let value = env[variable] ?? ""
        let previousValue = env[previousVariable] ?? ""
        guard !value.isEmpty else {
            if !previousValue.isEmpty { throw .previousWithoutCurrent }
            return nil
        }
        var version = 1
        if let text = env[versionVariable], !text.isEmpty {
            guard let v = Int(text), v >= 1 else { throw .badVersion(text) }
            version = v
        }
        let current = try InstanceSecret(version: version, value: value, variable: variable)
        guard !previousValue.isEmpty else { return InstanceSecrets(current: current) }
        guard version >= 2 else { throw .previousNeedsVersion }
        guard previousValue != value else { throw .previousSameAsCurrent }
        let previous = try InstanceSecret(version: version - 1, value: previousValue, variable: previousVariable)
        return InstanceSecrets(current: current, previous: previous)
    }

    /// The secret of a recorded version, if it is still held.
    public func secret(version: Int) -> InstanceSecret? {
        if version == current.version { return current }
        if let previous, version == previous.version { return previous }
        return nil
    }

    /// The token of an instance made under `version`: 64 hex characters (256 bits); nil
    /// when that version's secret is no longer held.
    public func token(instanceId: String, version: Int) -> String? {
        secret(version: version)?.mac(Self.tokenMessage(instanceId: instanceId, version: version))
    }

    /// The token a new instance gets.
    public func currentToken(instanceId: String) -> String {
        current.mac(Self.tokenMessage(instanceId: instanceId, version: current.version))
    }

    /// Whether `token` is the instance's token under `version`, compared in constant time.
    public func isToken(_ token: String, instanceId: String, version: Int) -> Bool {
        secret(version: version)?.isMAC(token, of: Self.tokenMessage(instanceId: instanceId, version: version)) ?? false
    }

    /// The version whose token `token` is, among the secrets held; nil when none.
    public func versionOf(token: String, instanceId: String) -> Int? {
        [current, previous].compactMap { $0 }.first { isToken(token, instanceId: instanceId, version: $0.version) }?.version
    }

    /// The keyed hash a revision is (see `Revision`): under the current secret, so that a
    /// published plan cannot confirm a guessed variable offline.
    /// The version is part of it: raising the version alone is a new revision too.
    public func revisionMAC(_ canonical: String) -> String {
        current.mac("revision\u{0}v\(current.version)\u{0}" + canonical)
    }

    // Domain separation: a token can never equal a revision, nor one version's token another's.
    static func tokenMessage(instanceId: String, version: Int) -> String {
        "instance-token\u{0}v\(version)\u{0}\(instanceId)"
    }

    public var description: String {
        "InstanceSecrets(version: \(current.version)\(previous.map { ", previous: \($0.version)" } ?? ""))"
    }
}

/// Why the instance secrets in the environment cannot be used. Never carries a value.
public enum InstanceSecretError: Error, Equatable, CustomStringConvertible {
    case tooShort(variable: String, length: Int)
    case badVersion(String)
    case previousNeedsVersion
    case previousSameAsCurrent
    case previousWithoutCurrent

    public var description: String {
        switch self {
        case .tooShort(let variable, let length):
            "\(variable) is \(length) characters long; expected at least \(InstanceSecret.minimumLength) (e.g. `openssl rand -hex 32`)"
        case .badVersion:
            "\(InstanceSecrets.versionVariable) must be a whole number from 1"
        case .previousNeedsVersion:
            "\(InstanceSecrets.previousVariable) is set but \(InstanceSecrets.versionVariable) is 1: a rotation raises the version (the previous secret is version - 1)"
        case .previousSameAsCurrent:
            "\(InstanceSecrets.previousVariable) equals \(InstanceSecrets.variable): a rotation needs a new secret"
        case .previousWithoutCurrent:
            "\(InstanceSecrets.previousVariable) is set without \(InstanceSecrets.variable)"
        }
    }
}
