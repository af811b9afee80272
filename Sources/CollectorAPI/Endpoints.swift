/// Every operation of the collector's API with the types of its JSON bodies: what the
/// served OpenAPI document (`/openapi.yaml`) describes, checked against it by a test in both
/// directions (each operation there has its entry here, each type here is in it).
public struct Endpoint: Sendable {
    /// What a body is: one JSON value of a type, a JSON array of them, or bytes (a bundle, YAML).
    public enum Body: Sendable {
        case json(any (Codable & Sendable).Type)
        case list(any (Codable & Sendable).Type)
        case bytes
    }

    public var method: String
    /// As the document writes it: `/v1/segments/{id}`.
    public var path: String
    public var request: Body?
    /// The successful answer's body.
    public var response: Body

    public init(_ method: String, _ path: String, request: Body? = nil, response: Body) {
        self.method = method
        self.path = path
        self.request = request
        self.response = response
    }

    public static let all: [Endpoint] = [
        Endpoint("GET", "/health", response: .json(Health.self)),
        Endpoint("GET", "/openapi.yaml", response: .bytes),
        Endpoint("GET", "/metrics", response: .bytes),
        Endpoint("POST", "/v1/login", request: .json(LoginRequest.self), response: .json(LoginResponse.self)),
        Endpoint("POST", "/v1/users", request: .json(CreateUserRequest.self), response: .json(CreatedUser.self)),
        Endpoint("GET", "/v1/users", response: .list(StaffUserListing.self)),
        Endpoint("POST", "/v1/users/{name}/approve", response: .json(UserApproved.self)),
        Endpoint("DELETE", "/v1/users/{name}", response: .json(UserRemoved.self)),
        Endpoint("POST", "/v1/users/{name}/key", response: .json(NewUserKey.self)),
        Endpoint("POST", "/v1/logout", response: .json(SignedOut.self)),
        Endpoint("POST", "/v1/enrolment-codes", request: .json(EnrolmentCodeRequest.self), response: .json(EnrolmentCodeIssued.self)),
        Endpoint("GET", "/v1/enrolment-codes", response: .list(EnrolmentCodeListing.self)),
        Endpoint("POST", "/v1/enrolment-codes/{id}/approve", response: .json(EnrolmentCodeApproved.self)),
        Endpoint("GET", "/v1/me/enrolment-codes", response: .list(EnrolmentCodeListing.self)),
        Endpoint(
            "POST", "/v1/me/enrolment-codes/{id}/approve", request: .json(EnrolmentApprovalRequest.self),
            response: .json(EnrolmentCodeApproved.self)),
        Endpoint("DELETE", "/v1/me/enrolment-codes/{id}", response: .json(EnrolmentCodeRefused.self)),
        Endpoint("POST", "/v1/enrol", request: .json(EnrolRequest.self), response: .json(Enrolled.self)),
        Endpoint("GET", "/v1/devices", response: .list(DeviceListing.self)),
        Endpoint("POST", "/v1/devices/{id}/revoke", response: .json(DeviceRevoked.self)),
        Endpoint("GET", "/v1/policies", response: .list(PolicyListing.self)),
        Endpoint("POST", "/v1/policies", request: .json(PublishPolicyRequest.self), response: .json(PolicyPublished.self)),
        Endpoint("POST", "/v1/consents", request: .json(ConsentRequest.self), response: .json(ConsentRecorded.self)),
        Endpoint("POST", "/v1/consents/withdrawal", request: .json(ConsentWithdrawalRequest.self), response: .json(ConsentWithdrawn.self)),
        Endpoint("PUT", "/v1/segments/{id}", request: .bytes, response: .json(SegmentAcknowledged.self)),
        Endpoint("GET", "/v1/me/segments", response: .list(SegmentListing.self)),
        Endpoint("GET", "/v1/me/segments/{id}", response: .bytes),
        Endpoint("DELETE", "/v1/me/segments/{id}", response: .json(SegmentDeleted.self)),
        Endpoint("GET", "/v1/me/audit", response: .list(AuditRecordListing.self)),
        Endpoint("GET", "/v1/audit", response: .list(AuditRecordListing.self)),
        Endpoint("DELETE", "/v1/me", response: .json(ContributorErased.self)),
        Endpoint("POST", "/v1/contributors/{id}/erase", response: .json(ContributorErased.self)),
        Endpoint("GET", "/v1/stats", response: .json(Totals.self)),
        Endpoint("POST", "/v1/exemption-requests", request: .json(ExemptionRequestBody.self), response: .json(ExemptionStatus.self)),
        Endpoint("GET", "/v1/exemption-requests", response: .list(ExemptionListing.self)),
        Endpoint(
            "POST", "/v1/exemption-requests/{contributor}/{id}/decision", request: .json(ExemptionDecisionRequest.self),
            response: .json(ExemptionStatus.self)),
        Endpoint("GET", "/v1/me/exemptions", response: .list(ExemptionListing.self)),
        Endpoint("GET", "/v1/review/segments", response: .list(ReviewListing.self)),
        Endpoint("GET", "/v1/review/segments/{id}", response: .bytes),
        Endpoint("POST", "/v1/review/segments/{id}/verdicts", request: .json(VerdictsRequest.self), response: .json(VerdictsRecorded.self)),
        Endpoint("GET", "/v1/dataset/segments", response: .list(DatasetListing.self)),
        Endpoint("GET", "/v1/dataset/erasures", response: .list(ErasureListing.self)),
        Endpoint("GET", "/v1/dataset/segments/{id}", response: .bytes),
        Endpoint("POST", "/v1/dataset/exports", request: .json(DatasetExportRegistration.self), response: .json(DatasetExportListing.self)),
        Endpoint("GET", "/v1/dataset/exports", response: .list(DatasetExportListing.self)),
        Endpoint("GET", "/v1/dataset/exports/{id}", response: .json(DatasetExport.self)),
    ]
}
