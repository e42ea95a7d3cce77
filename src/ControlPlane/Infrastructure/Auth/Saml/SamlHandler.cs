using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using ControlPlane.Infrastructure.Auth.Sso;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ControlPlane.Infrastructure.Auth.Saml;

/// <summary>
/// Our SAML 2.0 service provider for one IdP. Challenge: an AuthnRequest by HTTP-Redirect, its id kept in the protected
/// RelayState beside the correlation id (whose cookie ties the answer to this browser). ACS: the Response by HTTP-POST,
/// validated by <see cref="SamlResponseValidator"/>, its assertion id spent in <see cref="SamlReplayCache"/>, and the
/// contract claims (sub, email, name, groups) handed on as the ticket.
/// </summary>
public sealed class SamlHandler(IOptionsMonitor<SamlOptions> options, ILoggerFactory loggerFactory, UrlEncoder encoder,
    SamlIdpMetadataSource metadata, SamlReplayCache replay, TimeProvider time)
    : RemoteAuthenticationHandler<SamlOptions>(options, loggerFactory, encoder)
{
    public const string RequestIdItem = ".saml.request";

    private string AcsUrl => BuildRedirectUri(Options.CallbackPath);

    protected override Task<object> CreateEventsAsync() => Task.FromResult<object>(new SamlEvents());

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        SamlIdpMetadata idp;
        try { idp = await metadata.GetAsync(Options, Context.RequestAborted); }
        catch (Exception e) when (e is FormatException or HttpRequestException or IOException or TaskCanceledException)
        {
            SamlLog.MetadataUnavailable(Logger, Options.ProviderName, e.Message);
            Response.Redirect(SsoSignIn.SignInPageFor(SignInFailure.NotVerified));
            return;
        }
        if (string.IsNullOrEmpty(properties.RedirectUri))
            properties.RedirectUri = OriginalPathBase + OriginalPath + Request.QueryString;
        var requestId = SamlAuthnRequest.NewId();
        properties.Items[RequestIdItem] = requestId;
        GenerateCorrelationId(properties);
        var request = SamlAuthnRequest.Build(requestId, time.GetUtcNow(), idp.SingleSignOnUrl, Options.SpEntityId, AcsUrl);
        SamlLog.RequestSent(Logger, Options.ProviderName, requestId);
        Response.Redirect(SamlAuthnRequest.RedirectUrl(idp.SingleSignOnUrl, request, Options.StateDataFormat.Protect(properties)));
    }

    protected override async Task<HandleRequestResult> HandleRemoteAuthenticateAsync()
    {
        AuthenticationProperties? properties = null;
        try
        {
            if (!HttpMethods.IsPost(Request.Method) || !Request.HasFormContentType)
                throw new SamlRefusedException(SamlRefusal.Malformed, "the ACS takes a Response by HTTP-POST only.");
            var form = await Request.ReadFormAsync(Context.RequestAborted);
            var encoded = form["SAMLResponse"].ToString();
            if (encoded.Length == 0) throw new SamlRefusedException(SamlRefusal.Malformed, "the POST carries no SAMLResponse.");
            if (encoded.Length > Options.ResponseMaxBytes) throw new SamlRefusedException(SamlRefusal.Malformed, $"the SAMLResponse is larger than {Options.ResponseMaxBytes} bytes.");

            string? expectedRequestId = null;
            var relayState = form["RelayState"].ToString();
            properties = relayState.Length == 0 ? null : Options.StateDataFormat.Unprotect(relayState);
            if (properties is not null)
            {
                if (!ValidateCorrelationId(properties))
                    throw new SamlRefusedException(SamlRefusal.MissingState, "the correlation cookie is missing or does not match: the Response arrived in another browser than the request, or too late.");
                expectedRequestId = properties.Items.TryGetValue(RequestIdItem, out var id) && !string.IsNullOrEmpty(id) ? id
                    : throw new SamlRefusedException(SamlRefusal.MissingState, "the RelayState names no request.");
            }
            else properties = new AuthenticationProperties { RedirectUri = "/" };

            string xml;
            try { xml = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
            catch (FormatException) { throw new SamlRefusedException(SamlRefusal.Malformed, "the SAMLResponse is not base64."); }

            var idp = await metadata.GetAsync(Options, Context.RequestAborted);
            var expectations = new SamlExpectations(idp, Options.SpEntityId, AcsUrl, expectedRequestId, Options.AllowIdpInitiated, time.GetUtcNow(), Options.ClockSkew);
            var assertion = SamlResponseValidator.Validate(xml, expectations);
            if (!await replay.TryUseAsync(Options.ProviderName, assertion, Context.RequestAborted))
                throw new SamlRefusedException(SamlRefusal.Replayed, $"the Assertion '{assertion.Id}' was already used to sign in.");

            SamlLog.Accepted(Logger, Options.ProviderName, assertion.Id);
            var principal = new ClaimsPrincipal(new ClaimsIdentity(SamlClaims.From(assertion, Options), Scheme.Name, SamlClaims.Name, "role"));
            return HandleRequestResult.Success(new AuthenticationTicket(principal, properties, Scheme.Name));
        }
        catch (SamlRefusedException refused)
        {
            SamlLog.Refused(Logger, Options.ProviderName, refused.Refusal, refused.Detail);
            return HandleRequestResult.Fail(refused, properties);
        }
        catch (Exception e) when (e is FormatException or HttpRequestException or IOException or TaskCanceledException && !Context.RequestAborted.IsCancellationRequested)
        {
            SamlLog.MetadataUnavailable(Logger, Options.ProviderName, e.Message);
            return HandleRequestResult.Fail(e, properties);
        }
    }
}
