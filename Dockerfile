# pipl-scan in a small image: built with the Rust toolchain, run as a non-root user on Debian
# slim (glibc, as the build; the bundled SQLite and zstd are linked in statically).
#   docker build -t pipl-scan .
#   docker run --rm -v /srv/share:/data:ro -v "$PWD/out":/out pipl-scan scan /data -o /out
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked && strip target/release/pipl-scan

FROM debian:bookworm-slim
# CA certificates only: pipl-scan makes no network calls; tesseract for --ocr is left out
# (install tesseract-ocr tesseract-ocr-chi-sim in a derived image to use it).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home pipl
COPY --from=build /src/target/release/pipl-scan /usr/local/bin/pipl-scan
USER pipl
WORKDIR /out
ENTRYPOINT ["pipl-scan"]
CMD ["--help"]
