namespace ControlPlane.Features.Teams;

public static class TeamsFeature
{
    public static WebApplicationBuilder AddTeams(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<TeamDirectory>();
        return builder;
    }
}
