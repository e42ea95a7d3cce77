namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>What the SAML service provider logs. Never a Response, an assertion's content or a NameID.</summary>
internal static partial class SamlLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "SAML sign-in through {Provider} refused ({Refusal}): {Detail} No session was started.")]
    public static partial void Refused(ILogger logger, string provider, SamlRefusal refusal, string detail);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "SAML assertion {AssertionId} from {Provider} accepted.")]
    public static partial void Accepted(ILogger logger, string provider, string assertionId);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "SAML IdP metadata for {Provider} read: entity {EntityId}, {Certificates} signing certificate(s).")]
    public static partial void MetadataRead(ILogger logger, string provider, string entityId, int certificates);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "SAML IdP metadata for {Provider} could not be refreshed ({Reason}); the last good metadata stays in use.")]
    public static partial void MetadataRefreshFailed(ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Error, Message = "SAML IdP metadata for {Provider} is unavailable ({Reason}); nobody can sign in through it until it is.")]
    public static partial void MetadataUnavailable(ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Debug, Message = "SAML AuthnRequest {RequestId} sent to {Provider}.")]
    public static partial void RequestSent(ILogger logger, string provider, string requestId);
}
