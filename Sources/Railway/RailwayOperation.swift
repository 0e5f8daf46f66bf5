/// Every GraphQL operation the client sends. Each one is a named operation kept in
/// `GraphQL/<rawValue>.graphql`, validated against Railway's published schema.
///
/// The create sequence uses five of them, in this order, so an instance is built exactly
/// once, with no wasted build and no GitHub lookup:
/// 1. `ServiceCreate`: an empty service with its variables and no source, so no build starts;
/// 2. `ServiceInstanceConfigure`: root directory and `sleepApplication: false`, which the one
///    build needs (Railway can only set the root directory after the service exists, so
///    creating from the repo directly would build once without it);
/// 3. `ServiceDomainCreate`: the public domain on the instance's port;
/// 4. `ServiceConnect`: repo and branch, which starts the single build;
/// 5. `ServiceDisconnect`: removes the branch trigger, so a later push to the branch never
///    redeploys the instance (a claimed agent would lose its conversation); the build in
///    flight continues.
///
/// From an image (`InstanceBlueprint.image`) steps 2 and 5 make no call and step 4 is one
/// `EnvironmentPatchCommit` (image, variables, sleeping off): three calls, one deploy. In
/// placement projectPerInstance a `ProjectCreate` (or a kept empty project) comes first,
/// and `WorkspaceProjectServices` observes every project in one paged query.
public enum RailwayOperation: String, CaseIterable, Sendable {
    // Reads.
    case environmentServices = "EnvironmentServices", workspaceProjectServices = "WorkspaceProjectServices"
    case projectEnvironments = "ProjectEnvironments"
    // The create steps, in the order above.
    case projectCreate = "ProjectCreate", serviceCreate = "ServiceCreate", serviceInstanceConfigure = "ServiceInstanceConfigure"
    case serviceDomainCreate = "ServiceDomainCreate", serviceConnect = "ServiceConnect", environmentPatchCommit = "EnvironmentPatchCommit"
    case serviceDisconnect = "ServiceDisconnect"
    // Deletes and renames.
    case serviceDelete = "ServiceDelete", serviceRename = "ServiceRename", projectDelete = "ProjectDelete", projectRename = "ProjectRename"
    // The pool's webhook (a workspace notification rule).
    case notificationRules = "NotificationRules", notificationRuleCreate = "NotificationRuleCreate"
    case notificationRuleDelete = "NotificationRuleDelete"

    /// Safe to send again when an attempt may or may not have been applied: the read, and
    /// the mutations that leave the same world however often they run. A retried create
    /// could make a second service, a retried connect a second build.
    public var isSafeToRetry: Bool {
        switch self {
        case .environmentServices, .serviceDelete, .serviceRename, .workspaceProjectServices, .projectEnvironments,
             .projectDelete, .projectRename, .notificationRules, .notificationRuleDelete: true
        default: false
        }
    }
}
