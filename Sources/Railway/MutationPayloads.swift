/// Variables and answers of the mutation documents, field for field.
struct ServiceCreateVariables: Encodable, Sendable {
    var projectId: String
    var environmentId: String
    var name: String
    /// Secrets included: never logged (the client logs operation names only).
    var variables: [String: String]
}

struct ServiceCreateAnswer: Decodable, Sendable {
    struct Service: Decodable, Sendable { var id: String }
    var serviceCreate: Service
}

struct ServiceInstanceConfigureVariables: Encodable, Sendable {
    var serviceId: String
    var environmentId: String
    var rootDirectory: String
}

struct ServiceInstanceConfigureAnswer: Decodable, Sendable {
    var serviceInstanceUpdate: Bool
}

struct ServiceDomainCreateVariables: Encodable, Sendable {
    var serviceId: String
    var environmentId: String
    var targetPort: Int
}

struct ServiceDomainCreateAnswer: Decodable, Sendable {
    struct Domain: Decodable, Sendable { var domain: String }
    var serviceDomainCreate: Domain
}

struct ServiceConnectVariables: Encodable, Sendable {
    var id: String
    var repo: String
    var branch: String
}

struct ServiceConnectAnswer: Decodable, Sendable {
    struct Service: Decodable, Sendable { var id: String }
    var serviceConnect: Service
}

struct ServiceDisconnectVariables: Encodable, Sendable {
    var id: String
}

struct ServiceDisconnectAnswer: Decodable, Sendable {
    struct Service: Decodable, Sendable { var id: String }
    var serviceDisconnect: Service
}

struct ServiceDeleteVariables: Encodable, Sendable {
    var id: String
    var environmentId: String
}

struct ServiceDeleteAnswer: Decodable, Sendable {
    var serviceDelete: Bool
}

struct ServiceRenameVariables: Encodable, Sendable {
    var id: String
    var name: String
}

struct ServiceRenameAnswer: Decodable, Sendable {
    struct Service: Decodable, Sendable { var id: String }
    var serviceUpdate: Service
}
