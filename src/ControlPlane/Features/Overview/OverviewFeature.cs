namespace ControlPlane.Features.Overview;

public static class OverviewFeature
{
    public static WebApplicationBuilder AddOverview(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<TeamSpendByDay>();
        return builder;
    }
}
