# syntax=docker/dockerfile:1

# Build: a static binary (no cgo), so it runs on distroless/static.
FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules in their own layer: rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
# What `stickerbot version` and stickerbot_build_info say:
# docker compose build --build-arg VERSION=$(git describe --always --dirty)
ARG VERSION=devel
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/stickerbot ./cmd/stickerbot

# Run: no shell, no package manager; CA certificates and tzdata included.
# The migrations are embedded in the binary, so it is the only file needed.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/stickerbot /stickerbot
# nonroot is uid 65532; the image declares it too, this keeps it explicit.
USER 65532:65532
# Health and readiness (/healthz, /readyz); in HTTP mode also Slack's
# requests (/slack/commands, /slack/interactions, /slack/events).
ENV HTTP_ADDR=:8080
EXPOSE 8080
# The image has no curl or shell: the binary checks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/stickerbot", "healthcheck"]
ENTRYPOINT ["/stickerbot"]
