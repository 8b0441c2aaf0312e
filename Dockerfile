# The apfbench image for load agents (`apfbench agent`, run by `apfbench agents manifest`'s
# Indexed Job) and for a coordinator in a pod. It holds no control-plane binaries: agents only
# send load.
#   docker build -t apfbench:dev .
#   kind load docker-image apfbench:dev --name apfbench
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# `prepare` compiles the sources, which are not copied yet: skip it here.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY proto ./proto
COPY scenarios ./scenarios
COPY profiles ./profiles
# The node user (uid 1000), as the Job's securityContext expects.
USER 1000
ENTRYPOINT ["node", "/app/bin/apfbench.js"]
CMD ["agent", "--help"]
