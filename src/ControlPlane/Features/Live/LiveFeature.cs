namespace ControlPlane.Features.Live;

public static class LiveFeature
{
    public static WebApplicationBuilder AddSpendHub(this WebApplicationBuilder builder)
    {
        builder.Services.AddSignalR();
        builder.Services.AddScoped<SpendAudience>();
        builder.Services.AddHostedService<SpendTickRelay>();
        return builder;
    }

    public static WebApplication MapSpendHub(this WebApplication app)
    {
        // A connection outlives no session: it closes when the cookie it was opened with expires.
        app.MapHub<SpendHub>(SpendHub.Path, options => options.CloseOnAuthenticationExpiration = true);
        return app;
    }
}
