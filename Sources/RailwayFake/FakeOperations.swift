import Foundation

/// A GraphQL error the fake puts in `errors` of an HTTP 200 answer.
struct FakeGraphQLError: Error {
    var message: String

    /// How the fake (like Railway) answers a mutation on a service that does not exist,
    /// deleted ones included. The client counts it as success for delete and rename.
    static func serviceNotFound(_ id: String) -> FakeGraphQLError {
        FakeGraphQLError(message: "Service not found: \(id)")
    }
}

/// The answers to each operation, by operation name, on the in-memory world.
extension FakeWorld {
    /// Largest page the fake serves, like Railway's connections.
    static let maxPageSize = 500

    mutating func answer(_ operation: String, _ variables: JSONValue,
                         emptyEnvironment: Bool, token: String = "") throws -> JSONValue {
        let v = variables
        if let answer = try projectAnswer(operation, v, token: token, empty: emptyEnvironment) { return answer }
        if let answer = try ruleAnswer(operation, v) { return answer }
        switch operation {
        case "EnvironmentServices":
            return try environmentServices(projectId: v.required("projectId"),
                                           environmentId: v.required("environmentId"),
                                           first: v["first"]?.int, after: v["after"]?.string,
                                           empty: emptyEnvironment)
        case "ServiceCreate":
            // With a `repo` (the reference create-from-repo document) the build starts at
            // once, before any root directory can be set: a wasted build.
            let values: [String: String] = if case .object(let vars)? = v["variables"] {
                vars.compactMapValues { $0.string }
            } else { [:] }
            let id = addService(name: v["name"]?.string ?? "service", projectId: try v.required("projectId"),
                                environmentId: v["environmentId"]?.string ?? "", variables: values)
            if let user = v["registryCredentials"]?["username"]?.string, let index = index(of: id) {
                services[index].registryUsername = user
            }
            if let repo = v["repo"]?.string, let index = index(of: id) {
                services[index].repo = repo
                services[index].branch = v["branch"]?.string
                services[index].branchTriggerConnected = true
                _ = startBuild(at: index)
            }
            return ["serviceCreate": ["id": .string(id), "name": .string(services[index(of: id)!].name)]]
        case "ServiceInstanceConfigure":
            let index = try existing(v.required("serviceId"))
            services[index].rootDirectory = try v.required("rootDirectory")
            services[index].sleepApplication = false
            return ["serviceInstanceUpdate": true]
        case "ServiceDomainCreate":
            let index = try existing(v.required("serviceId"))
            var domain = "\(services[index].name)-\(services[index].domains.count + 1).up.railway.app"
            if !agentDomains.isEmpty { domain = agentDomains.removeFirst() }
            services[index].domains.append(domain)
            onDomain?(domain, services[index].variables)
            return ["serviceDomainCreate": ["id": .string(makeId("dom")), "domain": .string(domain),
                                            "targetPort": v["targetPort"] ?? .null]]
        case "ServiceConnect":
            let index = try existing(v.required("id"))
            services[index].repo = try v.required("repo")
            services[index].branch = v["branch"]?.string
            services[index].branchTriggerConnected = true
            if services[index].rootDirectory == nil { connectedWithoutRootDirectory.append(services[index].id) }
            _ = startBuild(at: index)
            return ["serviceConnect": ["id": .string(services[index].id)]]
        case "ServiceInstanceDeploy":
            let index = try existing(v.required("serviceId"))
            guard services[index].repo != nil else {
                throw FakeGraphQLError(message: "Service has no source to deploy")
            }
            return ["serviceInstanceDeployV2": .string(startBuild(at: index))]
        case "ServiceDisconnect":
            // Removes the branch trigger; the build in flight continues.
            let index = try existing(v.required("id"))
            services[index].branchTriggerConnected = false
            return ["serviceDisconnect": ["id": .string(services[index].id)]]
        case "EnvironmentPatchCommit":
            return ["environmentPatchCommit": .string(try patchCommit(environmentId: v.required("environmentId"),
                                                                      patch: v["patch"] ?? .null))]
        case "ServiceDelete":
            // Strict where Railway's docs are vague: a named environment must be the
            // service's, so a delete aimed at the wrong environment shows in tests.
            let index = try existing(v.required("id"))
            if let environment = v["environmentId"]?.string, environment != services[index].environmentId {
                throw FakeGraphQLError(message: "Service \(services[index].id) is not in environment \(environment)")
            }
            services.remove(at: index)
            return ["serviceDelete": true]
        case "ServiceRename":
            let index = try existing(v.required("id"))
            services[index].name = try v.required("name")
            return ["serviceUpdate": ["id": .string(services[index].id), "name": .string(services[index].name)]]
        default:
            throw FakeGraphQLError(message: "the fake does not implement operation \(operation)")
        }
    }

    /// One commit: each service's variables, settings and image at once; an image starts
    /// one deploy, which sees every variable of the same commit.
    private mutating func patchCommit(environmentId: String, patch: JSONValue) throws -> String {
        guard case .object(let changes)? = patch["services"] else {
            throw FakeGraphQLError(message: "patch has no services")
        }
        for (serviceId, change) in changes.sorted(by: { $0.key < $1.key }) {
            let index = try existing(serviceId)
            guard services[index].environmentId == environmentId else {
                throw FakeGraphQLError(message: "Service \(serviceId) is not in environment \(environmentId)")
            }
            if case .object(let vars)? = change["variables"] {
                for (name, value) in vars {
                    guard let text = value["value"]?.string else {
                        throw FakeGraphQLError(message: "variable \(name) has no value")
                    }
                    services[index].variables[name] = text
                }
                services[index].variableNames = services[index].variables.keys.sorted()
            }
            if case .bool(let sleep)? = change["deploy"]?["sleepApplication"] { services[index].sleepApplication = sleep }
            if let image = change["source"]?["image"]?.string {
                services[index].image = image
                _ = deployImage(at: index)
            }
        }
        return makeId("commit")
    }

    private func existing(_ id: String) throws -> Int {
        guard let index = index(of: id) else { throw FakeGraphQLError.serviceNotFound(id) }
        return index
    }

    private func environmentServices(projectId: String, environmentId: String, first: Int?,
                                     after: String?, empty: Bool) throws -> JSONValue {
        let all = empty ? [] : services.filter { $0.projectId == projectId && $0.environmentId == environmentId }
        let start = try after.map { cursor in
            guard let offset = Int(cursor), offset >= 0 else {
                throw FakeGraphQLError(message: "invalid cursor \(cursor)")
            }
            return offset
        } ?? 0
        let end = min(all.count, start + min(first ?? 100, Self.maxPageSize))
        let page = start < end ? Array(all[start..<end]) : []
        let edges: [JSONValue] = page.map { ["node": serviceNode($0)] }
        return ["environment": [
            "id": .string(environmentId),
            "serviceInstances": [
                "edges": .array(edges),
                "pageInfo": ["hasNextPage": .bool(end < all.count), "endCursor": end > start ? .string(String(end)) : .null],
            ],
        ]]
    }
}

extension JSONValue {
    func required(_ key: String) throws -> String {
        guard let value = self[key]?.string else {
            throw FakeGraphQLError(message: "Variable \"$\(key)\" of required type \"String!\" was not provided.")
        }
        return value
    }
}
