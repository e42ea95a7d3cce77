# ControlPlane container image. Build from the repository root:
#   docker build -t controlplane .
#   docker run -p 8080:8080 -v controlplane-data:/data controlplane
# The default database is SQLite in the /data volume; for PostgreSQL set
#   Database__Provider=Postgres and Database__ConnectionString="Host=...".
# Outside Development the app needs its key-encryption certificate (README "Security"):
#   -e KeyEncryption__CertificateBase64="$(base64 -w0 kek.pfx)"

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The build installs the front-end packages (ApexCharts) with `npm ci` and bundles them into /assets
# (build/Assets.targets), so the build stage needs Node.js and npm; the runtime image does not.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props appsettings.json ./
COPY build/ build/
COPY wwwroot-assets/ wwwroot-assets/
COPY src/ src/
RUN dotnet publish src/ControlPlane/ControlPlane.csproj -c Release -o /app --no-self-contained

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# Create /data owned by the image's non-root "app" user before declaring it a volume.
RUN mkdir /data && chown "$APP_UID" /data
VOLUME /data
ENV ASPNETCORE_URLS=http://+:8080 \
    Database__ConnectionString="Data Source=/data/controlplane.db"
EXPOSE 8080
# No HEALTHCHECK: the aspnet image has no curl or wget. Orchestrators should probe
# GET /health (the process answers) and GET /ready (the database answers and is migrated).
USER $APP_UID
ENTRYPOINT ["dotnet", "ControlPlane.dll"]
