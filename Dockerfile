# One image for every lab: it holds `labsvc` (any lab service, the fault proxy, the load generator)
# and `labctl` (the scenario runner). Multi-stage: build with the Swift toolchain, run on slim Debian.
# Every lab's generated compose file builds this (build: {context: ., dockerfile: Dockerfile}) and
# tags it distributed-lab:local; lab services run `labsvc <lab> <role>`, the scenario `labctl run`.
# The toolchain is the one the project is developed with (Swift 6.3).
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis-dev librabbitmq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies first so that source edits reuse this layer.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --static-swift-stdlib --product labsvc \
    && swift build -c release --static-swift-stdlib --product labctl \
    && mkdir /out && cp .build/release/labsvc .build/release/labctl /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libhiredis0.14 librabbitmq4 ca-certificates wget \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/labsvc /out/labctl /usr/local/bin/
COPY labs /labs
# labctl finds the manifests here; services listen on every interface of their container.
ENV LAB_LABS_DIR=/labs HOST=0.0.0.0
EXPOSE 8080
ENTRYPOINT ["labsvc"]
