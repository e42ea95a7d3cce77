using ControlPlane.Features.SignInSettings;
using ControlPlane.Infrastructure.Auth;
using Microsoft.AspNetCore.Authentication;

namespace ControlPlane.Features.People.Scim;

public static class ScimFeature
{
    public static WebApplicationBuilder AddScim(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ScimAuthentication>(Policies.ScimScheme, null);
        builder.Services.AddSingleton<ConfiguredProviders>();
        builder.Services.AddSingleton<ScimTokens>();
        builder.Services.AddSingleton<ScimAccess>();
        builder.Services.AddSingleton<ScimPeople>();
        builder.Services.AddSingleton<ScimGroups>();
        return builder;
    }
}
