// Prisma CLI configuration: the TypeScript ("js") engine over the libSQL driver
// adapter, so no engine binary is ever downloaded (the machines reach only npm).
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  async adapter() {
    return new PrismaLibSQL({
      url: process.env.DATABASE_URL ?? "file:./data/festival.db",
    });
  },
});
