import Model

extension InstanceRecord {
    /// The columns `init(row:)` reads, for SELECT and RETURNING lists.
    static let columns = """
        instance_id, service_id, revision, created_at, create_step, claim, agent_name, \
        conversation_id, retired_reason, marked, last_healthy_at, domain, token_version, holds_pool_key, self_destruct_at, project_id
        """

    init(row: any SQLRow) throws {
        self.init(
            instanceId: try row.requiredText("instance_id"),
            serviceId: try row.text("service_id"),
            revision: try row.text("revision"),
            createdAt: try row.date("created_at"),
            createStep: try row.enumValue("create_step", as: CreateStep.self),
            claim: try row.requiredEnum("claim", as: Claim.self),
            agentName: try row.text("agent_name"),
            conversationId: try row.text("conversation_id"),
            retiredReason: try row.text("retired_reason"),
            marked: try row.enumValue("marked", as: InstanceState.self),
            lastHealthyAt: try row.date("last_healthy_at"),
            domain: try row.text("domain"),
            tokenVersion: try row.integer("token_version").map { Int($0) },
            holdsPoolKey: (try row.integer("holds_pool_key") ?? 0) != 0,
            selfDestructAt: try row.date("self_destruct_at"),
            projectId: try row.text("project_id"))
    }
}
