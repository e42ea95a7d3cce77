namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>Why a SAML Response was refused. Each is logged with its detail; none leads to a session.</summary>
public enum SamlRefusal
{
    Malformed,
    DtdOrEntity,
    StatusNotSuccess,
    WrongDestination,
    NotExactlyOneAssertion,
    DuplicateId,
    NotSigned,
    SignatureNotCoveringElement,
    DisallowedAlgorithm,
    DisallowedTransform,
    SignatureInvalid,
    UntrustedKey,
    WrongIssuer,
    WrongAudience,
    NotYetValid,
    Expired,
    WrongRecipient,
    WrongInResponseTo,
    UnsolicitedNotAllowed,
    NoSubject,
    Replayed,
    MissingState,
}

/// <summary>A Response refused for <see cref="Refusal"/>; the message says what exactly (never the Response itself).</summary>
public sealed class SamlRefusedException(SamlRefusal refusal, string detail) : Exception($"{refusal}: {detail}")
{
    public SamlRefusal Refusal { get; } = refusal;
    public string Detail { get; } = detail;
}
