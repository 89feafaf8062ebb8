"""Demo job postings for `portal demo`: 32 fictional jobs in Simplified Chinese and English.

Each entry holds the fields of ``portal.jobs.schemas.JobData`` (title, Markdown content,
category, employment type, location, salary, how to apply, status) plus ``age_days``: how many
days ago the job was published, which the demo loader turns into timestamps, and maybe
``company``: the key of its employer in ``DEMO_COMPANIES`` (the others show the site's name).
Two jobs have no external link or e-mail: people apply to them on Portal. Companies, places
of work and contacts are invented; links and addresses use the example.com / example.cn domains.
Several postings share a theme (Python backend, data analysis, design, nursing) so that search
and recommendations have something to show.
"""

from __future__ import annotations

# Employers of some demo jobs: name, website, a Markdown description, and the initials and
# colour of the logo the demo loader draws for each.
DEMO_COMPANIES: dict[str, dict[str, str]] = {
    "ledgerline": {
        "name": "Ledgerline",
        "website": "https://example.com/ledgerline",
        "description": (
            "Accounting automation for small businesses: millions of bank transactions "
            "reconciled every day by a **remote-first** team of 60."
        ),
        "initials": "L",
        "colour": "#4f46e5",
    },
    "yunfan": {
        "name": "云帆科技",
        "website": "https://example.cn/yunfan",
        "description": "企业级 SaaS 协同办公平台，服务超过三千家中大型客户。总部位于**上海**。",
        "initials": "YF",
        "colour": "#0e7490",
    },
    "greenroute": {
        "name": "GreenRoute Logistics",
        "website": "https://example.com/greenroute",
        "description": "Low-emission last-mile delivery in twelve European cities.",
        "initials": "GR",
        "colour": "#15803d",
    },
    "xingqiao": {
        "name": "星桥数据",
        "website": "https://example.cn/xingqiao",
        "description": "数据平台与实时分析服务，帮助零售企业理解每一笔交易。",
        "initials": "XQ",
        "colour": "#7c3aed",
    },
    "harbourpay": {
        "name": "HarbourPay",
        "website": "https://example.com/harbourpay",
        "description": "Payments for marketplaces: payouts in 40 currencies, one API.",
        "initials": "HP",
        "colour": "#b45309",
    },
    "lanjing": {
        "name": "蓝鲸零售集团",
        "description": "全国连锁零售企业，门店遍布华东与华南。",
        "initials": "LJ",
        "colour": "#1d4ed8",
    },
    "fernleaf": {
        "name": "Fernleaf Studio",
        "website": "https://example.com/fernleaf",
        "description": "A product design studio for health and education apps.",
        "initials": "F",
        "colour": "#be185d",
    },
    "chenguang": {
        "name": "晨光文化传媒",
        "description": "新媒体内容与品牌传播。",
        "initials": "CG",
        "colour": "#c2410c",
    },
    "hemu": {
        "name": "和木教育",
        "website": "https://example.cn/hemu",
        "description": "十二所双语小学与幼儿园。",
        "initials": "HM",
        "colour": "#047857",
    },
    "stbrennan": {
        "name": "St Brennan's Hospital",
        "website": "https://example.com/stbrennan",
        "description": "A 600-bed teaching hospital with a 24-bed intensive care unit.",
        "initials": "SB",
        "colour": "#be123c",
    },
}

DEMO_JOBS: list[dict[str, object]] = [
    {
        "title": "Senior Python Backend Engineer",
        "company": "ledgerline",
        "content": (
            "Ledgerline builds accounting automation for small businesses, reconciling "
            "millions of bank transactions every day. We are a remote-first team of 60 "
            "across eight time zones, and we are looking for a senior backend engineer to "
            "help scale our Python services as we expand into new markets.\n\n"
            "## Responsibilities\n\n"
            "- Design, build and operate async Python services (FastAPI, SQLAlchemy, "
            "PostgreSQL)\n"
            "- Own features end to end, from technical design to monitoring in production\n"
            "- Improve the performance and reliability of our reconciliation pipeline\n"
            "- Review code, mentor engineers and shape our engineering practices\n"
            "- Take part in a light, well-compensated on-call rotation\n\n"
            "## Requirements\n\n"
            "- **6+ years of professional backend development**, at least 3 with Python\n"
            "- Strong SQL skills and experience tuning relational databases\n"
            "- Experience with message queues, background jobs and idempotent APIs\n"
            "- Clear written communication; you are comfortable working asynchronously\n"
            "- Fintech or payments experience is a plus, but not required\n\n"
            "## Benefits\n\n"
            "- Fully remote, with 4 hours of overlap with UTC+1 expected\n"
            "- Equity, home-office budget and a yearly learning stipend\n"
            "- 25 days of paid leave plus local public holidays\n"
            "- Annual team offsite\n\n"
            "Read more about how we work on our [company "
            "site](https://example.com/ledgerline/about).\n"
        ),
        "category": "engineering",
        "employment_type": "full_time",
        "location": "Remote",
        "remote": True,
        "salary_min": 140000,
        "salary_max": 180000,
        "salary_currency": "USD",
        "salary_period": "year",
        "apply_url": "https://careers.example.com/ledgerline/senior-python-backend",
        "apply_email": None,
        "status": "published",
        "age_days": 0,
    },
    {
        "title": "高级Python后端工程师",
        "company": "yunfan",
        "content": (
            "云帆科技专注于企业级 SaaS 协同办公平台，服务超过三千家中大型客户。"
            "随着业务扩张，我们正在重构核心订单与权限服务，"
            "诚邀一位经验丰富的 Python 后端工程师加入上海研发中心，与产品、"
            "前端和运维同事一起打造稳定、高性能的服务。\n\n"
            "## 职责\n\n"
            "- 负责核心业务服务的架构设计、开发与持续优化，主导关键模块的技术方案评审\n"
            "- 使用 Python（FastAPI / SQLAlchemy）开发高并发异步接口，"
            "保障接口性能与可观测性\n"
            "- 设计合理的数据库表结构与索引，优化 PostgreSQL 与 Redis 的使用方式\n"
            "- 参与代码评审，编写单元测试与集成测试，推动团队工程规范落地\n"
            "- 指导初中级工程师，参与技术分享与招聘面试\n\n"
            "## 任职要求\n\n"
            "- 本科及以上学历，计算机相关专业，**5 年以上 Python 后端开发经验**\n"
            "- 熟悉 asyncio、常见 Web 框架及 ORM，了解分布式系统的基本原理\n"
            "- 熟悉 PostgreSQL 或 MySQL，有慢查询分析与调优经验\n"
            "- 熟悉 Docker、Kubernetes 与 CI/CD 流程者优先\n"
            "- 良好的沟通能力与责任心，乐于分享\n\n"
            "## 福利\n\n"
            "- 十四薪，年度调薪与绩效奖金\n"
            "- 六险一金，补充商业医疗保险\n"
            "- 弹性工作时间，每年 15 天带薪年假\n"
            "- 年度体检、技术大会与培训预算\n\n"
            "## 面试流程\n\n"
            "- 简历筛选后安排一轮技术电话面试，约 45 分钟\n"
            "- 现场或视频面试两轮，包括系统设计与代码评审讨论\n"
            "- 整个流程通常在两周内完成，我们会及时反馈每一轮的结果\n\n"
            "了解更多团队信息，请访问[公司官网](https://example.com/yunfan)。\n"
        ),
        "category": "engineering",
        "employment_type": "full_time",
        "location": "上海",
        "remote": False,
        "salary_min": 35000,
        "salary_max": 55000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": "https://careers.example.com/yunfan/python-backend-senior",
        "apply_email": "talent@example.cn",
        "status": "published",
        "age_days": 1,
    },
    {
        "title": "Backend Developer (Python/Django), 6-month Contract",
        "company": "greenroute",
        "content": (
            "GreenRoute is a Berlin-based mobility start-up helping cities plan "
            "bike-sharing and e-scooter networks. We are migrating our planning platform "
            "from a legacy monolith to a modular Django application and need an "
            "experienced contractor to join the team for six months, with a possible "
            "extension.\n\n"
            "## Responsibilities\n\n"
            "- Extract core domains from the legacy codebase into well-tested Django apps\n"
            "- Build REST APIs consumed by our React front end and partner integrations\n"
            "- Write data migrations for our PostgreSQL and PostGIS databases\n"
            "- Improve test coverage and CI pipelines (GitHub Actions)\n"
            "- Document architecture decisions for the permanent team\n\n"
            "## Requirements\n\n"
            "- 4+ years of commercial experience with Python and Django\n"
            "- Hands-on experience with Django REST Framework and PostgreSQL\n"
            "- Experience with incremental migrations of legacy systems\n"
            "- Familiarity with geospatial data (PostGIS, GeoDjango) is a strong plus\n"
            "- Available to start within four weeks; on site in Berlin two days a week\n\n"
            "## Benefits\n\n"
            "- Competitive day rate, invoiced monthly\n"
            "- Flexible hours and a friendly, senior team\n"
            "- Modern office in Kreuzberg, close to the U1\n\n"
            "Learn more about our mission on the [company "
            "site](https://example.com/greenroute).\n"
        ),
        "category": "engineering",
        "employment_type": "contract",
        "location": "Berlin",
        "remote": False,
        "salary_min": 600,
        "salary_max": 750,
        "salary_currency": "EUR",
        "salary_period": "day",
        "apply_url": "https://careers.example.com/greenroute/django-contract",
        "apply_email": "contracts@example.com",
        "status": "published",
        "age_days": 8,
    },
    {
        "title": "Python数据平台开发工程师",
        "company": "xingqiao",
        "content": (
            "星桥数据是一家为零售与消费品牌提供数据中台服务的技术公司。"
            "我们的数据平台每天处理数十亿条交易与行为数据，"
            "现招聘 Python 数据平台开发工程师，负责调度、数据接入与元数据服务的建设，"
            "让分析师和算法同事能够更快地获得可信数据。\n\n"
            "## 职责\n\n"
            "- 使用 Python 开发和维护数据接入、清洗及调度相关的后端服务与 API\n"
            "- 基于 Airflow 构建和优化数据管道，提升任务稳定性与运行效率\n"
            "- 建设元数据管理与数据质量监控模块，及时发现并定位数据异常\n"
            "- 与数据分析、算法团队紧密合作，理解需求并提供易用的数据服务\n"
            "- 编写技术文档，参与线上问题排查与值班\n\n"
            "## 任职要求\n\n"
            "- 3 年以上 Python 开发经验，熟悉 Django 或 FastAPI 等常用框架\n"
            "- 熟悉 SQL，了解 Spark、Flink、Kafka 等大数据组件中的至少一种\n"
            "- 有数据仓库或数据平台项目经验者优先\n"
            "- 具备良好的代码习惯，重视测试与可维护性\n"
            "- 逻辑清晰，能够独立推进跨团队协作\n\n"
            "## 福利\n\n"
            "- 十三薪及项目奖金，六险一金\n"
            "- 每周一天可居家办公\n"
            "- 免费三餐与下午茶，年度团队旅行\n"
            "- 完善的技术晋升通道与内部导师制度\n\n"
            "## 团队介绍\n\n"
            "数据平台组目前共 12 人，分为接入、调度和治理三个小组。"
            "团队重视代码评审和技术文档，每两周举行一次技术分享。"
            "你将有机会参与平台从单体调度向云原生架构演进的全过程，"
            "并对关键技术选型拥有发言权。\n\n"
            "公司介绍见[星桥数据官网](https://example.com/xingqiao)。\n"
        ),
        "category": "engineering",
        "employment_type": "full_time",
        "location": "杭州",
        "remote": False,
        "salary_min": 28000,
        "salary_max": 42000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": "https://careers.example.com/xingqiao/data-platform-python",
        "apply_email": None,
        "status": "published",
        "age_days": 4,
    },
    {
        "title": "Data Analyst, Growth",
        "company": "harbourpay",
        "content": (
            "HarbourPay is a digital wallet used by more than two million people across "
            "Southeast Asia. Our growth team runs dozens of experiments each quarter, and "
            "we are hiring a data analyst to turn product and marketing data into clear "
            "decisions.\n\n"
            "## Responsibilities\n\n"
            "- Define and maintain metrics for acquisition, activation and retention\n"
            "- Design A/B tests with product managers and analyse the results\n"
            "- Build dashboards in Looker that teams actually use\n"
            "- Investigate funnel drop-offs and size new growth opportunities\n"
            "- Present findings to stakeholders in a concise, visual way\n\n"
            "## Requirements\n\n"
            "- **2+ years of experience as a data or product analyst**\n"
            "- Excellent SQL; working knowledge of Python (pandas) or R\n"
            "- Solid grounding in statistics and experiment design\n"
            "- Able to explain technical results to non-technical audiences\n"
            "- Experience with consumer fintech or mobile apps is a plus\n\n"
            "## Benefits\n\n"
            "- Annual performance bonus and medical insurance\n"
            "- Hybrid working: three days in our office near Tanjong Pagar\n"
            "- 21 days of annual leave and a learning budget\n"
            "- Regional travel opportunities\n\n"
            "Find out more on our [company site](https://example.com/harbourpay).\n"
        ),
        "category": "data",
        "employment_type": "full_time",
        "location": "Singapore",
        "remote": False,
        "salary_min": 6000,
        "salary_max": 8500,
        "salary_currency": "SGD",
        "salary_period": "month",
        "apply_url": None,
        "apply_email": None,
        "status": "published",
        "age_days": 11,
    },
    {
        "title": "数据分析师",
        "company": "lanjing",
        "content": (
            "蓝鲸出行是一家专注城市短途出行的互联网公司，业务覆盖全国四十余座城市。"
            "数据分析团队是公司决策的重要支撑，我们希望寻找一位对业务敏感、"
            "善于用数据讲故事的数据分析师，帮助运营和产品团队发现增长机会。\n\n"
            "## 职责\n\n"
            "- 搭建和维护核心业务指标体系，定期输出经营分析报告\n"
            "- 针对用户增长、留存与定价等专题开展深入分析，给出可落地的建议\n"
            "- 设计并评估 A/B 实验，确保实验结论的科学性\n"
            "- 使用 SQL 和 Python 处理数据，搭建自助式数据看板\n"
            "- 与产品、运营团队紧密合作，推动数据驱动的决策文化\n\n"
            "## 任职要求\n\n"
            "- 统计学、数学、计算机或经济学相关专业本科及以上学历\n"
            "- **2 年以上互联网数据分析经验**，熟练使用 SQL\n"
            "- 熟悉 Python（pandas）或 R，掌握常用的统计检验方法\n"
            "- 熟练使用 Tableau、Superset 等至少一种可视化工具\n"
            "- 逻辑清晰，表达能力强，能够将复杂结论讲清楚\n\n"
            "## 福利\n\n"
            "- 六险一金，年终奖金\n"
            "- 带薪年假与病假，节日福利\n"
            "- 每月出行补贴与餐补\n"
            "- 定期内部培训和外部学习机会\n\n"
            "## 加分项\n\n"
            "- 有出行、本地生活或电商行业分析经验\n"
            "- 了解因果推断、用户分群或增长模型等方法\n"
            "- 熟悉 Hive、ClickHouse 等大数据查询引擎\n\n"
            "## 面试流程\n\n"
            "简历筛选后，我们会安排一次业务分析笔试和两轮面试，全程约两周。\n\n"
            "欢迎访问[公司官网](https://example.com/lanjing)了解我们的业务。\n"
        ),
        "category": "data",
        "employment_type": "full_time",
        "location": "北京",
        "remote": False,
        "salary_min": 18000,
        "salary_max": 28000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": None,
        "apply_email": None,
        "status": "published",
        "age_days": 2,
    },
    {
        "title": "Product Designer",
        "company": "fernleaf",
        "content": (
            "Fernleaf builds software that helps independent pharmacies manage "
            "prescriptions, stock and patient communication. Our product is used daily by "
            "busy pharmacists, so every detail of the experience matters. We are looking "
            "for a product designer to join one of our cross-functional squads.\n\n"
            "## Responsibilities\n\n"
            "- Lead design for features from discovery through to release\n"
            "- Run interviews and usability tests with pharmacists and their teams\n"
            "- Create flows, wireframes and polished prototypes in Figma\n"
            "- Contribute to and help evolve our design system\n"
            "- Work closely with engineers to ship accessible, high-quality interfaces\n\n"
            "## Requirements\n\n"
            "- 3+ years of product design experience on web or SaaS products\n"
            "- A portfolio that shows your process, not just final screens\n"
            "- Comfort with user research and turning insights into decisions\n"
            "- Good understanding of accessibility standards (WCAG 2.2)\n"
            "- Experience in healthcare or regulated industries is a bonus\n\n"
            "## Benefits\n\n"
            "- Hybrid: two days a week in our Farringdon studio\n"
            "- Private health insurance and a 6% pension contribution\n"
            "- 27 days of holiday plus bank holidays\n"
            "- £1,000 annual learning budget\n\n"
            "See our work on the [company site](https://example.com/fernleaf).\n"
        ),
        "category": "design",
        "employment_type": "full_time",
        "location": "London",
        "remote": False,
        "salary_min": 55000,
        "salary_max": 70000,
        "salary_currency": "GBP",
        "salary_period": "year",
        "apply_url": "https://careers.example.com/fernleaf/product-designer",
        "apply_email": "design@example.com",
        "status": "published",
        "age_days": 14,
    },
    {
        "title": "商业数据分析实习生",
        "content": (
            "海纳电商是一家面向东南亚市场的跨境电商平台。我们的商业分析团队正在招募实习生，"
            "参与选品、营销活动和供应链效率等方面的数据分析工作。"
            "你将在资深分析师的指导下完成真实项目，快速了解电商业务全貌。\n\n"
            "## 职责\n\n"
            "- 协助整理和清洗销售、流量与库存数据，保证数据准确\n"
            "- 使用 SQL 与 Excel 完成日常数据提取和周报制作\n"
            "- 参与营销活动效果复盘，分析投入产出比\n"
            "- 协助搭建和维护 BI 看板，跟进指标异常\n"
            "- 完成导师安排的专题分析并进行汇报\n\n"
            "## 任职要求\n\n"
            "- 2026 届或 2027 届本科及研究生在读，统计、数学、经济、计算机等相关专业\n"
            "- 熟悉 SQL 基本语法，熟练使用 Excel 数据透视表与常用函数\n"
            "- 了解 Python 或 R 者优先\n"
            "- 每周至少实习 4 天，持续 3 个月以上\n"
            "- 对数字敏感，做事细致，乐于学习\n\n"
            "## 福利\n\n"
            "- 具有竞争力的日薪与餐补\n"
            "- 一对一导师指导，表现优秀者可获得转正机会\n"
            "- 开放的办公氛围，可参与各类业务分享会\n"
            "- 提供实习证明\n\n"
            "## 你将收获\n\n"
            "- 完整参与跨境电商的真实业务分析项目，而非简单的打杂工作\n"
            "- 系统学习 SQL 进阶、指标体系设计与商业分析方法\n"
            "- 与来自新加坡、雅加达等地的同事协作，了解海外市场\n"
            "- 实习结束时进行项目答辩，获得书面评价与改进建议\n\n"
            "请将简历发送至邮箱，邮件标题注明“数据分析实习-姓名-学校”。"
            "公司介绍见[海纳官网](https://example.com/haina)。\n"
        ),
        "category": "data",
        "employment_type": "internship",
        "location": "深圳",
        "remote": False,
        "salary_min": 200,
        "salary_max": 300,
        "salary_currency": "CNY",
        "salary_period": "day",
        "apply_url": None,
        "apply_email": "campus@example.cn",
        "status": "published",
        "age_days": 6,
    },
    {
        "title": "Freelance Brand & Visual Designer",
        "content": (
            "Quillhouse is a small content studio producing reports, newsletters and "
            "campaign assets for non-profit organisations. We are building a pool of "
            "freelance designers to support a growing number of projects and are "
            "especially interested in people who enjoy working with data and editorial "
            "layouts.\n\n"
            "## Responsibilities\n\n"
            "- Create visual identities, templates and campaign assets for client projects\n"
            "- Lay out long-form reports and turn data into clear infographics\n"
            "- Prepare print-ready and web-optimised files\n"
            "- Present concepts to clients and iterate on their feedback\n"
            "- Keep brand guidelines and asset libraries organised\n\n"
            "## Requirements\n\n"
            "- 4+ years of experience in brand or editorial design\n"
            "- Strong typography and layout skills; a portfolio with editorial work\n"
            "- Fluent in Figma and Adobe InDesign, Illustrator and Photoshop\n"
            "- Reliable and able to manage your own time across projects\n"
            "- Availability of at least 15 hours per week during active projects\n\n"
            "## Benefits\n\n"
            "- Fully remote, flexible working hours\n"
            "- Meaningful projects for mission-driven organisations\n"
            "- Steady pipeline of work and prompt payment within 14 days\n\n"
            "Send your portfolio and rates by email. Learn more on our [company "
            "site](https://example.com/quillhouse).\n"
        ),
        "category": "design",
        "employment_type": "contract",
        "location": "Remote",
        "remote": True,
        "salary_min": 55,
        "salary_max": 75,
        "salary_currency": "USD",
        "salary_period": "hour",
        "apply_url": None,
        "apply_email": "studio@example.com",
        "status": "published",
        "age_days": 20,
    },
    {
        "title": "新媒体运营专员",
        "company": "chenguang",
        "content": (
            "晨光生活是一家新锐家居生活方式品牌，主营环保家纺与收纳产品，"
            "在多个电商平台与社交媒体拥有数十万粉丝。为进一步提升品牌影响力，"
            "现招聘新媒体运营专员一名，负责品牌在小红书、微信公众号与短视频平台的内容运营。\n\n"
            "## 职责\n\n"
            "- 负责品牌新媒体账号的日常内容策划、撰写与发布\n"
            "- 策划并执行线上营销活动，提升粉丝增长与互动率\n"
            "- 跟踪热点话题与行业趋势，产出有传播力的图文与短视频脚本\n"
            "- 对接达人与合作方，推进内容合作与种草投放\n"
            "- 定期分析账号数据，复盘内容效果并持续优化运营策略\n\n"
            "## 任职要求\n\n"
            "- 大专及以上学历，市场营销、新闻传播、中文等相关专业优先\n"
            "- 1 年以上新媒体运营经验，有成功的爆款内容案例者优先\n"
            "- 文字功底扎实，审美在线，熟悉主流社交媒体平台规则\n"
            "- 会使用基础的图片与视频剪辑工具\n"
            "- 思维活跃，执行力强，具备团队协作精神\n\n"
            "## 福利\n\n"
            "- 五险一金，季度绩效奖金\n"
            "- 周末双休，法定节假日正常休息\n"
            "- 员工购物折扣与生日礼物\n"
            "- 年度团建与定期培训\n\n"
            "## 加分项\n\n"
            "- 有家居、生活方式或美妆类品牌的内容运营经验\n"
            "- 具备一定的摄影和拍摄能力，能够独立完成简单的产品拍摄\n"
            "- 熟悉千瓜、新榜等数据工具\n\n"
            "## 工作地点\n\n"
            "广州市天河区，近地铁站，团队共 8 人，氛围轻松，鼓励新想法和小范围试错。\n\n"
            "更多品牌故事请访问[晨光生活官网](https://example.com/chenguang)。\n"
        ),
        "category": "marketing",
        "employment_type": "full_time",
        "location": "广州",
        "remote": False,
        "salary_min": 9000,
        "salary_max": 14000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": "https://careers.example.com/chenguang/new-media",
        "apply_email": "jobs@example.cn",
        "status": "published",
        "age_days": 3,
    },
    {
        "title": "Product Manager, Payments",
        "company": "harbourpay",
        "content": (
            "HarbourPay's payments team moves money for millions of customers and "
            "thousands of merchants every day. We are looking for a product manager to own "
            "our merchant payments experience, from checkout to settlement, as we launch "
            "in two new markets this year.\n\n"
            "## Responsibilities\n\n"
            "- Own the roadmap for merchant checkout, refunds and settlement\n"
            "- Work with engineering, design, risk and compliance to deliver safely\n"
            "- Talk to merchants regularly and translate their needs into clear "
            "requirements\n"
            "- Define success metrics and use data to prioritise\n"
            "- Coordinate launches with operations and commercial teams\n\n"
            "## Requirements\n\n"
            "- **4+ years of product management experience**, ideally in payments or "
            "fintech\n"
            "- Solid understanding of card networks, QR payments or bank transfers\n"
            "- Comfortable with technical discussions about APIs and integrations\n"
            "- Structured thinker and excellent writer\n"
            "- Mandarin, Bahasa Indonesia or Thai is a plus\n\n"
            "## Benefits\n\n"
            "- Competitive salary, bonus and equity\n"
            "- Comprehensive medical and dental coverage\n"
            "- Flexible hybrid working\n"
            "- Annual learning and wellness allowances\n\n"
            "Read about our product on the [company site](https://example.com/harbourpay/pr"
            "oduct).\n"
        ),
        "category": "product",
        "employment_type": "full_time",
        "location": "Singapore",
        "remote": False,
        "salary_min": None,
        "salary_max": None,
        "salary_currency": None,
        "salary_period": None,
        "apply_url": "https://careers.example.com/harbourpay/pm-payments",
        "apply_email": None,
        "status": "published",
        "age_days": 16,
    },
    {
        "title": "仓储物流主管",
        "content": (
            "通达供应链为快消品与电子产品客户提供仓储、配送一体化服务，"
            "在长三角地区运营多个现代化仓库。苏州园区仓因业务增长，现招聘仓储物流主管一名，"
            "负责仓库日常运营管理与团队建设。\n\n"
            "## 职责\n\n"
            "- 全面负责仓库收货、上架、拣货、包装及出库等作业流程的管理\n"
            "- 制定并优化仓储作业标准，提升库存准确率与发货时效\n"
            "- 管理约 40 人的一线团队，负责排班、培训与绩效考核\n"
            "- 组织定期盘点，分析库存差异并推动问题改善\n"
            "- 落实安全生产与 5S 管理，确保仓库安全合规运行\n"
            "- 与客户及运输承运商保持沟通，处理异常订单\n\n"
            "## 任职要求\n\n"
            "- 大专及以上学历，物流管理相关专业优先\n"
            "- **3 年以上仓储管理经验**，其中至少 1 年团队管理经验\n"
            "- 熟练使用 WMS 系统和 Excel，有电商仓或快消仓经验者优先\n"
            "- 具备较强的组织协调能力和抗压能力\n"
            "- 能够适应旺季加班与轮班安排\n\n"
            "## 福利\n\n"
            "- 五险一金，绩效奖金与年终奖\n"
            "- 提供员工宿舍或住房补贴\n"
            "- 工作餐与班车\n"
            "- 清晰的晋升通道，优秀者可晋升仓库经理\n\n"
            "## 工作时间\n\n"
            "- 常规为白班，每周工作五天半，旺季期间根据业务量调整排班\n"
            "- 每年“双十一”及春节前为业务高峰，需要带领团队完成保供任务\n\n"
            "## 招聘流程\n\n"
            "简历筛选、部门经理面试、现场参观仓库与作业交流，一般在一周内给出录用结果。\n\n"
            "了解更多信息，请访问[通达供应链官网](https://example.com/tongda)。\n"
        ),
        "category": "logistics",
        "employment_type": "full_time",
        "location": "苏州",
        "remote": False,
        "salary_min": 12000,
        "salary_max": 18000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": None,
        "apply_email": "logistics-hr@example.cn",
        "status": "published",
        "age_days": 9,
    },
    {
        "title": "Registered Nurse – Intensive Care Unit",
        "company": "stbrennan",
        "content": (
            "St Brennan's is an independent hospital in west London with a 12-bed "
            "intensive care unit treating complex surgical and medical patients. We are "
            "expanding our ICU team and welcome applications from experienced critical "
            "care nurses and from nurses ready to develop into critical care.\n\n"
            "## Responsibilities\n\n"
            "- Deliver high-quality, evidence-based care to critically ill patients\n"
            "- Monitor and manage ventilated patients, invasive lines and infusions\n"
            "- Work closely with intensivists, physiotherapists and pharmacists\n"
            "- Support families with clear, compassionate communication\n"
            "- Mentor student nurses and newly qualified colleagues\n\n"
            "## Requirements\n\n"
            "- **Active NMC registration** as an adult nurse\n"
            "- At least one year of acute care experience; ICU experience preferred\n"
            "- Critical care course completed or willingness to undertake it\n"
            "- Flexible approach to a 12-hour shift pattern including nights and weekends\n"
            "- Excellent clinical judgement and teamwork\n\n"
            "## Benefits\n\n"
            "- Sponsored critical care qualification and ongoing training\n"
            "- Enhanced pay for nights, weekends and bank holidays\n"
            "- Private medical cover and pension scheme\n"
            "- 33 days of annual leave including bank holidays\n\n"
            "Find out more about the unit on our [company "
            "site](https://example.com/stbrennan/icu).\n"
        ),
        "category": "healthcare",
        "employment_type": "full_time",
        "location": "London",
        "remote": False,
        "salary_min": 35000,
        "salary_max": 45000,
        "salary_currency": "GBP",
        "salary_period": "year",
        "apply_url": "https://careers.example.com/stbrennan/icu-nurse",
        "apply_email": "nursing.recruitment@example.com",
        "status": "published",
        "age_days": 3,
    },
    {
        "title": "小学英语教师",
        "company": "hemu",
        "content": (
            "禾木实验学校是一所位于成都高新区的九年一贯制民办学校，秉承“全人教育”理念，"
            "注重学生的综合素养与国际视野。因学校规模扩大，现面向社会招聘小学英语教师，"
            "新学期起到岗。学校小班化教学，每班不超过 30 人，英语组现有教师 11 名，"
            "拥有完善的教研体系与外教协作机制。\n\n"
            "## 职责\n\n"
            "- 负责小学低年级或中年级的英语教学工作，每周约 14 课时\n"
            "- 依据课程标准设计生动有趣的教学活动，激发学生学习兴趣\n"
            "- 批改作业，开展分层辅导，关注每位学生的学习进展\n"
            "- 组织英语角、英文戏剧等课外活动\n"
            "- 与家长保持良好沟通，参与教研组集体备课与公开课\n\n"
            "## 任职要求\n\n"
            "- 英语或英语教育相关专业本科及以上学历\n"
            "- 持有小学或以上学段英语教师资格证\n"
            "- 英语发音标准，口语流利，专业英语八级者优先\n"
            "- 有 1 年以上小学英语教学经验者优先，优秀应届毕业生亦可\n"
            "- 热爱教育事业，富有耐心与亲和力\n\n"
            "## 福利\n\n"
            "- 五险一金，寒暑假带薪休假\n"
            "- 教师子女入学优惠\n"
            "- 免费午餐与教师公寓\n"
            "- 完善的新教师培养与职称晋升支持\n\n"
            "## 招聘流程\n\n"
            "- 简历筛选：请附上教师资格证与近期教学照片或视频\n"
            "- 试讲：围绕指定课题进行 15 分钟的模拟课堂展示\n"
            "- 面试：与校长及英语教研组长面谈，了解教育理念\n"
            "- 录用后参加为期一周的新教师入职培训\n\n"
            "学校介绍请访问[禾木实验学校官网](https://example.com/hemu-school)。\n"
        ),
        "category": "education",
        "employment_type": "full_time",
        "location": "成都",
        "remote": False,
        "salary_min": 8000,
        "salary_max": 12000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": "https://careers.example.com/hemu/primary-english",
        "apply_email": "teach@example.cn",
        "status": "closed",
        "age_days": 38,
    },
    {
        "title": "Account Executive, SMB",
        "content": (
            "TallyHQ makes scheduling and payroll software for restaurants and retail "
            "shops. Over 8,000 small businesses use our platform, and our sales team is "
            "growing to meet demand. We are hiring an Account Executive to manage the full "
            "sales cycle for small and mid-sized customers in the Bay Area.\n\n"
            "## Responsibilities\n\n"
            "- Run discovery calls and tailored product demos for business owners\n"
            "- Manage a pipeline from first meeting to signed contract\n"
            "- Collaborate with SDRs and marketing to generate new opportunities\n"
            "- Keep accurate records and forecasts in our CRM\n"
            "- Share customer feedback with the product team\n\n"
            "## Requirements\n\n"
            "- 2+ years of closing experience in B2B SaaS sales\n"
            "- A track record of meeting or exceeding quota\n"
            "- Confident, consultative communication style\n"
            "- Organised and comfortable handling a high volume of deals\n"
            "- Experience selling to restaurants or retail is a plus\n\n"
            "## Benefits\n\n"
            "- Base salary shown above plus **uncapped commission**\n"
            "- Medical, dental and vision coverage; 401(k) with match\n"
            "- Commuter benefits and a hybrid schedule\n"
            "- Clear promotion path to mid-market roles\n\n"
            "Learn more on our [company site](https://example.com/tallyhq).\n"
        ),
        "category": "sales",
        "employment_type": "full_time",
        "location": "San Francisco",
        "remote": False,
        "salary_min": 70000,
        "salary_max": 90000,
        "salary_currency": "USD",
        "salary_period": "year",
        "apply_url": "https://careers.example.com/tallyhq/account-executive-smb",
        "apply_email": None,
        "status": "published",
        "age_days": 22,
    },
    {
        "title": "护士（夜班）",
        "content": (
            "仁和康复医院是一家以神经康复和老年康复为特色的二级专科医院，"
            "拥有床位 300 余张。为保障夜间护理质量，现招聘夜班护士若干名，加入我们专业、"
            "温暖的护理团队。医院护理部实行责任制整体护理，护患比配置合理，"
            "并配备完善的夜间值班医生制度。\n\n"
            "## 职责\n\n"
            "- 按照护理常规完成夜间病房的巡视、生命体征监测与护理记录\n"
            "- 执行医嘱，完成给药、输液、标本采集等护理操作\n"
            "- 密切观察患者病情变化，及时发现异常并报告值班医生\n"
            "- 协助患者翻身、防跌倒、防压疮等安全护理工作\n"
            "- 做好交接班，配合完成突发情况的应急处置\n\n"
            "## 任职要求\n\n"
            "- 护理专业大专及以上学历，**持有有效的护士执业证书**\n"
            "- 有 1 年以上临床护理经验，康复科或老年科经验者优先\n"
            "- 能够适应固定夜班或以夜班为主的轮班制度\n"
            "- 具备良好的沟通能力、责任心和同理心\n"
            "- 身体健康，能承受一定的工作强度\n\n"
            "## 福利\n\n"
            "- 五险一金，夜班津贴另计\n"
            "- 夜班后安排充足的休息时间\n"
            "- 提供员工宿舍与免费工作餐\n"
            "- 院内外继续教育与专科护士培训机会\n\n"
            "## 排班说明\n\n"
            "- 实行每周四个夜班的排班制度，每班 10 小时，含用餐休息时间\n"
            "- 夜班结束后连续休息不少于 24 小时\n"
            "- 护理部根据个人情况可协调固定班组\n\n"
            "## 应聘方式\n\n"
            "请将个人简历、执业证书及职称证书扫描件发送至招聘邮箱，"
            "我们将在五个工作日内联系您。\n\n"
            "医院介绍见[仁和康复医院官网](https://example.com/renhe)。\n"
        ),
        "category": "healthcare",
        "employment_type": "full_time",
        "location": "上海",
        "remote": False,
        "salary_min": 10000,
        "salary_max": 15000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": None,
        "apply_email": "nursing@example.cn",
        "status": "published",
        "age_days": 5,
    },
    {
        "title": "Customer Support Specialist (German & English)",
        "content": (
            "Kitebox sells modular storage furniture online across Europe. Our customers "
            "expect fast, friendly help, and our support team is central to that promise. "
            "We are looking for a support specialist fluent in German and English to help "
            "customers before and after their purchase. The role is remote within Germany, "
            "with optional use of our Berlin office.\n\n"
            "## Responsibilities\n\n"
            "- Answer customer questions by email, chat and phone\n"
            "- Resolve delivery issues, returns and assembly questions\n"
            "- Coordinate with logistics partners and the warehouse team\n"
            "- Spot recurring issues and suggest improvements to our help centre\n"
            "- Maintain friendly, accurate documentation in Zendesk\n\n"
            "## Requirements\n\n"
            "- Native-level German and fluent English, written and spoken\n"
            "- 1+ year of experience in customer service, ideally in e-commerce\n"
            "- Calm, patient and solution-oriented\n"
            "- Comfortable with support tools and learning new systems quickly\n"
            "- Based in Germany, with a reliable internet connection\n\n"
            "## Benefits\n\n"
            "- 30 days of holiday and a home-office allowance\n"
            "- Discount on all Kitebox products\n"
            "- Structured onboarding and a supportive team\n"
            "- Monthly team days in Berlin (travel covered)\n\n"
            "Visit our [company site](https://example.com/kitebox) to see what we make.\n"
        ),
        "category": "customer_support",
        "employment_type": "full_time",
        "location": "Berlin",
        "remote": True,
        "salary_min": 38000,
        "salary_max": 44000,
        "salary_currency": "EUR",
        "salary_period": "year",
        "apply_url": "https://careers.example.com/kitebox/support-de-en",
        "apply_email": None,
        "status": "published",
        "age_days": 13,
    },
    {
        "title": "社区护理兼职护士",
        "content": (
            "安心家护是一家提供居家护理与社区健康服务的机构，"
            "为行动不便的老人和术后患者提供上门护理。现招聘兼职社区护士，工作时间灵活，"
            "适合希望兼顾家庭或其他工作的护理专业人员。我们的服务由专业护理团队统一质控，"
            "每一位护士都能获得后台医生的远程支持。\n\n"
            "## 职责\n\n"
            "- 按照预约为客户提供上门护理服务，如伤口换药、导管护理、注射等\n"
            "- 为老年客户进行血压、血糖等健康监测，并做好服务记录\n"
            "- 为患者及家属提供康复指导与健康宣教\n"
            "- 发现病情变化时及时与家属和合作医生沟通\n"
            "- 遵守感染控制与服务规范，保护客户隐私\n\n"
            "## 任职要求\n\n"
            "- 护理专业中专及以上学历，持有有效的护士执业证书\n"
            "- 3 年以上临床护理经验，有社区、老年科或外科经验者优先\n"
            "- 每周可提供不少于 12 小时的服务时间\n"
            "- 熟悉北京城区交通，能够独立上门服务\n"
            "- 有耐心，善于沟通，服务意识强\n\n"
            "## 福利\n\n"
            "- 按小时结算，收入透明，按月发放\n"
            "- 自主选择服务区域与时间段\n"
            "- 提供交通补贴与职业责任保险\n"
            "- 定期免费参加居家护理专项培训\n\n"
            "## 服务区域\n\n"
            "目前服务区域覆盖朝阳、海淀、东城和西城四个区，"
            "系统会根据您的住址优先推荐附近订单。\n\n"
            "## 入职流程\n\n"
            "- 在线提交申请并上传执业证书\n"
            "- 参加一次线下面试与护理操作考核\n"
            "- 完成岗前培训后即可开始接单，首月由资深护士带教\n\n"
            "了解服务详情，请访问[安心家护官网](https://example.com/anxin)。\n"
        ),
        "category": "healthcare",
        "employment_type": "part_time",
        "location": "北京",
        "remote": False,
        "salary_min": 80,
        "salary_max": 120,
        "salary_currency": "CNY",
        "salary_period": "hour",
        "apply_url": "https://careers.example.com/anxin/community-nurse",
        "apply_email": None,
        "status": "published",
        "age_days": 12,
    },
    {
        "title": "Operations Coordinator (Part-time)",
        "content": (
            "Maple & Finch is a growing architecture practice with 25 staff in Shoreditch. "
            "We are looking for a part-time operations coordinator to keep the studio "
            "running smoothly, three days a week. This is a varied role suited to someone "
            "organised who enjoys supporting a creative team.\n\n"
            "## Responsibilities\n\n"
            "- Manage the office, suppliers, equipment and facilities\n"
            "- Coordinate meetings, client visits and team events\n"
            "- Support onboarding of new starters and maintain staff records\n"
            "- Process supplier invoices and expenses for the finance team\n"
            "- Keep our project filing and document templates up to date\n\n"
            "## Requirements\n\n"
            "- 2+ years of experience in an office, operations or administrative role\n"
            "- Excellent organisation and attention to detail\n"
            "- Confident with Google Workspace and spreadsheets\n"
            "- Friendly, proactive communicator\n"
            "- Available Tuesday to Thursday, 9:30 to 17:30\n\n"
            "## Benefits\n\n"
            "- Hourly rate shown above, paid monthly\n"
            "- Pro-rata holiday and pension contributions\n"
            "- Friendly studio with regular team lunches\n"
            "- Cycle-to-work scheme\n\n"
            "Read about our projects on the [company site](https://example.com/maplefinch).\n"
        ),
        "category": "operations",
        "employment_type": "part_time",
        "location": "London",
        "remote": False,
        "salary_min": 14,
        "salary_max": 16,
        "salary_currency": "GBP",
        "salary_period": "hour",
        "apply_url": None,
        "apply_email": "office@example.com",
        "status": "closed",
        "age_days": 35,
    },
    {
        "title": "UI/UX设计师",
        "content": (
            "墨镜智能是一家智能硬件与物联网公司，产品包括智能门锁、"
            "家庭安防摄像头及配套 App。我们相信好的设计能让科技更亲近生活，"
            "现招聘 UI/UX 设计师，负责移动端 App 与设备屏幕界面的体验设计。\n\n"
            "## 职责\n\n"
            "- 负责 App 及智能设备交互界面的用户体验与视觉设计\n"
            "- 参与用户研究与可用性测试，将洞察转化为设计方案\n"
            "- 输出流程图、线框图、高保真原型与设计规范\n"
            "- 建立和维护设计系统组件库，保证多端体验一致\n"
            "- 与产品经理、工程师紧密协作，跟进设计落地与走查\n\n"
            "## 任职要求\n\n"
            "- 设计相关专业本科及以上学历，3 年以上互联网或智能硬件产品设计经验\n"
            "- 熟练使用 Figma，了解动效设计工具\n"
            "- **请附上作品集**，展示完整的设计过程与思考\n"
            "- 具备良好的用户同理心与逻辑思维能力\n"
            "- 有 IoT 或多端设计经验者优先\n\n"
            "## 福利\n\n"
            "- 十四薪，股票期权\n"
            "- 六险一金，补充医疗保险\n"
            "- 新品内测机会与员工购机优惠\n"
            "- 弹性工作制与年度设计大会预算\n\n"
            "## 加分项\n\n"
            "- 有智能家居、车载或可穿戴设备等多屏交互设计经验\n"
            "- 具备插画或三维渲染能力\n"
            "- 了解基础的前端知识，能与工程师高效沟通\n\n"
            "## 面试流程\n\n"
            "作品集初筛后，安排一次设计作业与两轮面试，面试中请准备讲解一个完整项目。\n\n"
            "查看我们的产品，请访问[墨镜智能官网](https://example.com/mojing)。\n"
        ),
        "category": "design",
        "employment_type": "full_time",
        "location": "深圳",
        "remote": False,
        "salary_min": 18000,
        "salary_max": 30000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": "https://careers.example.com/mojing/ui-ux-designer",
        "apply_email": "design-jobs@example.cn",
        "status": "published",
        "age_days": 7,
    },
    {
        "title": "Financial Analyst",
        "content": (
            "Orient Bridge Trading is an international distributor of specialty chemicals "
            "with offices in Shanghai, Singapore and Rotterdam. Our Shanghai finance team "
            "supports the Asia-Pacific business, and we are hiring a financial analyst to "
            "strengthen planning and reporting.\n\n"
            "## Responsibilities\n\n"
            "- Prepare monthly management reports and variance analyses\n"
            "- Support the annual budget and quarterly forecast process\n"
            "- Build financial models for pricing, investment and customer profitability\n"
            "- Work with sales and supply chain teams to explain performance drivers\n"
            "- Improve reporting tools and automate recurring tasks\n\n"
            "## Requirements\n\n"
            "- Bachelor's degree in finance, accounting or economics\n"
            "- **3+ years of FP&A or financial analysis experience**\n"
            "- Advanced Excel skills; experience with Power BI or SAP is a plus\n"
            "- Fluent English and Mandarin, written and spoken\n"
            "- CPA, ACCA or CFA progress is an advantage\n\n"
            "## Benefits\n\n"
            "- Competitive package with annual bonus\n"
            "- Supplementary medical insurance and housing fund top-up\n"
            "- 15 days of annual leave\n"
            "- International exposure and regular training\n\n"
            "More about us on the [company site](https://example.com/orientbridge).\n"
        ),
        "category": "finance",
        "employment_type": "full_time",
        "location": "Shanghai",
        "remote": False,
        "salary_min": None,
        "salary_max": None,
        "salary_currency": None,
        "salary_period": None,
        "apply_url": "https://careers.example.com/orientbridge/financial-analyst",
        "apply_email": "finance.jobs@example.com",
        "status": "published",
        "age_days": 25,
    },
    {
        "title": "人力资源招聘专员",
        "content": (
            "光谷软件是一家为制造企业提供工业软件和数字化解决方案的公司，"
            "目前员工约 600 人。为支持今年研发与交付团队的扩张，"
            "人力资源部现招聘招聘专员一名，负责技术与职能岗位的招聘工作。\n\n"
            "## 职责\n\n"
            "- 根据业务需求制定招聘计划，负责研发、实施及职能岗位的全流程招聘\n"
            "- 通过招聘网站、内推、校园招聘等渠道寻访候选人\n"
            "- 完成简历筛选、电话初试、面试安排及录用谈判\n"
            "- 维护人才库，定期分析招聘数据并优化渠道效果\n"
            "- 组织校园宣讲会和招聘活动，提升雇主品牌\n"
            "- 协助办理新员工入职手续与入职引导\n\n"
            "## 任职要求\n\n"
            "- 本科及以上学历，人力资源管理、心理学等相关专业优先\n"
            "- 1 至 3 年招聘工作经验，有互联网或软件行业技术招聘经验者优先\n"
            "- 熟悉各类招聘渠道，具备良好的沟通与判断能力\n"
            "- 工作积极主动，能够承受一定的工作压力\n"
            "- 熟练使用办公软件\n\n"
            "## 福利\n\n"
            "- 五险一金，年终奖金\n"
            "- 周末双休，带薪年假\n"
            "- 餐饮补贴与交通补贴\n"
            "- 系统的人力资源专业培训\n\n"
            "## 团队介绍\n\n"
            "人力资源部目前共有 9 人，招聘组 4 人，负责武汉总部及成都、"
            "西安分公司的招聘需求。团队氛围开放，鼓励尝试新的招聘渠道与工具，"
            "每季度组织一次招聘经验复盘会，帮助新成员快速成长。\n\n"
            "## 应聘方式\n\n"
            "请将简历发送至招聘邮箱，并注明岗位名称。\n\n"
            "欢迎访问[光谷软件官网](https://example.com/guanggu)了解更多。\n"
        ),
        "category": "human_resources",
        "employment_type": "full_time",
        "location": "武汉",
        "remote": False,
        "salary_min": None,
        "salary_max": None,
        "salary_currency": None,
        "salary_period": None,
        "apply_url": None,
        "apply_email": "hr-wuhan@example.cn",
        "status": "published",
        "age_days": 15,
    },
    {
        "title": "People Partner",
        "company": "greenroute",
        "content": (
            "GreenRoute is growing from 80 to 130 people over the next year. We are "
            "looking for our second People Partner to work with engineering and operations "
            "leaders on everything from team design to performance and wellbeing.\n\n"
            "## Responsibilities\n\n"
            "- Advise managers on team structure, feedback and performance conversations\n"
            "- Run our performance review and compensation cycles with the Head of People\n"
            "- Handle employee relations cases fairly and in line with German labour law\n"
            "- Improve onboarding and internal career frameworks\n"
            "- Use engagement survey results to drive concrete action\n\n"
            "## Requirements\n\n"
            "- 4+ years of HR business partnering experience, ideally in a start-up\n"
            "- Solid knowledge of German employment law and works council processes\n"
            "- Fluent English; good German is a strong plus\n"
            "- Trusted, discreet and pragmatic\n"
            "- Comfortable with HR systems such as Personio\n\n"
            "## Benefits\n\n"
            "- Hybrid working with an office in Kreuzberg\n"
            "- Virtual stock options\n"
            "- 28 days of holiday and a public transport ticket\n"
            "- Personal development budget\n\n"
            "Learn more on our [company site](https://example.com/greenroute/team).\n"
        ),
        "category": "human_resources",
        "employment_type": "full_time",
        "location": "Berlin",
        "remote": False,
        "salary_min": None,
        "salary_max": None,
        "salary_currency": None,
        "salary_period": None,
        "apply_url": "https://careers.example.com/greenroute/people-partner",
        "apply_email": None,
        "status": "draft",
        "age_days": 0,
    },
    {
        "title": "在线客服专员（远程兼职）",
        "content": (
            "优品优选是一家主营生鲜与家庭日用品的线上零售平台。"
            "为了在晚间和周末为顾客提供更及时的服务，我们招聘远程兼职在线客服专员，"
            "可居家办公，工作时间灵活。\n\n"
            "## 职责\n\n"
            "- 通过在线聊天与工单系统解答顾客关于订单、配送、售后的问题\n"
            "- 处理退换货与补偿申请，按照服务标准跟进至问题解决\n"
            "- 记录常见问题和顾客反馈，协助完善知识库\n"
            "- 与仓库、配送团队协调异常订单\n"
            "- 保持礼貌、专业的服务态度，提升顾客满意度\n\n"
            "## 任职要求\n\n"
            "- 高中或中专及以上学历，有电商客服经验者优先\n"
            "- 打字速度每分钟不少于 60 字，普通话标准\n"
            "- 具备稳定的网络环境和安静的居家工作空间\n"
            "- 每周可工作至少 20 小时，能够安排晚间或周末班次\n"
            "- 有耐心，情绪稳定，善于沟通\n\n"
            "## 福利\n\n"
            "- 按工作时长和服务质量计酬，按月结算\n"
            "- 远程办公，无需通勤\n"
            "- 提供系统化的上岗培训\n"
            "- 表现优秀者可转为全职或晋升为客服组长\n\n"
            "## 班次安排\n\n"
            "- 工作日晚间班：18:00 至 22:00\n"
            "- 周末班：09:00 至 14:00 或 14:00 至 19:00\n"
            "- 可根据个人时间自主选择班次，每月提前一周排班\n\n"
            "## 培训说明\n\n"
            "入职后进行为期三天的线上培训，内容包括系统操作、服务规范与常见问题处理，"
            "培训期间同样计酬。\n\n"
            "报名请访问招聘页面填写在线表格。公司介绍见[优品优选官网](https://example.com/y"
            "oupin)。\n"
        ),
        "category": "customer_support",
        "employment_type": "part_time",
        "location": "长沙",
        "remote": True,
        "salary_min": None,
        "salary_max": None,
        "salary_currency": None,
        "salary_period": None,
        "apply_url": "https://careers.example.com/youpin/remote-support",
        "apply_email": None,
        "status": "published",
        "age_days": 10,
    },
    {
        "title": "Marketing Intern (Events & Content)",
        "content": (
            "Lumen Coffee Roasters is a specialty coffee brand with six cafés in Shanghai "
            "and a fast-growing online shop. Our marketing team is small and hands-on, and "
            "we are looking for an intern to help plan events and create content in both "
            "English and Chinese.\n\n"
            "## Responsibilities\n\n"
            "- Support the planning and running of tastings, workshops and pop-up events\n"
            "- Draft social media posts and newsletters in English and Chinese\n"
            "- Take photos and short videos in our cafés and roastery\n"
            "- Track campaign results and prepare simple weekly reports\n"
            "- Help research new partners, venues and community groups\n\n"
            "## Requirements\n\n"
            "- Current university student in marketing, communications or a related field\n"
            "- Fluent in Mandarin and English\n"
            "- Creative, curious and comfortable talking to customers\n"
            "- Basic photo and video editing skills\n"
            "- Available at least four days a week for three months\n\n"
            "## Benefits\n\n"
            "- Daily allowance shown above plus transport support\n"
            "- Free coffee and barista training\n"
            "- Internship certificate and reference letter\n"
            "- Real responsibility on live campaigns\n\n"
            "See our cafés on the [company site](https://example.com/lumencoffee).\n"
        ),
        "category": "marketing",
        "employment_type": "internship",
        "location": "Shanghai",
        "remote": False,
        "salary_min": 150,
        "salary_max": 200,
        "salary_currency": "CNY",
        "salary_period": "day",
        "apply_url": None,
        "apply_email": "intern@example.cn",
        "status": "published",
        "age_days": 19,
    },
    {
        "title": "财务会计",
        "content": (
            "金石医疗器械是一家从事医用耗材研发、生产和销售的高新技术企业，"
            "产品销往全国二十多个省份。因公司业务发展，现招聘财务会计一名，"
            "负责日常会计核算与税务申报工作。公司经营稳健，财务制度规范，"
            "适合希望长期发展的财务人员。\n\n"
            "## 职责\n\n"
            "- 负责公司日常账务处理，审核原始凭证，编制记账凭证\n"
            "- 编制月度、季度及年度财务报表，确保数据准确及时\n"
            "- 负责增值税、企业所得税等各项税费的计算与申报\n"
            "- 协助完成成本核算、存货盘点与往来款项对账\n"
            "- 配合年度审计和税务检查，整理归档财务资料\n"
            "- 协助完善财务内控制度与报销流程\n\n"
            "## 任职要求\n\n"
            "- 会计、财务管理相关专业本科及以上学历\n"
            "- 持有初级会计师及以上职称，**中级会计师优先**\n"
            "- 3 年以上企业会计工作经验，有制造业经验者优先\n"
            "- 熟悉企业会计准则与税务法规，熟练使用用友或金蝶财务软件\n"
            "- 细致严谨，具有良好的职业操守\n\n"
            "## 福利\n\n"
            "- 五险一金，年终奖金\n"
            "- 周末双休，带薪年假\n"
            "- 职称考试补贴与继续教育支持\n"
            "- 免费午餐与年度体检\n\n"
            "## 工作地点\n\n"
            "南京市江宁经济技术开发区，公司提供班车接送，覆盖主城区主要地铁站点。\n\n"
            "## 汇报关系\n\n"
            "本岗位向财务经理汇报，财务部目前共 6 人。我们重视流程的规范化与信息化，"
            "正在推进财务共享平台的建设，欢迎有想法的你加入。\n\n"
            "公司介绍请访问[金石医疗官网](https://example.com/jinshi)。\n"
        ),
        "category": "finance",
        "employment_type": "full_time",
        "location": "南京",
        "remote": False,
        "salary_min": 10000,
        "salary_max": 15000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": None,
        "apply_email": "finance-hr@example.cn",
        "status": "draft",
        "age_days": 0,
    },
    {
        "title": "Frontend Engineering Intern",
        "company": "harbourpay",
        "content": (
            "Join HarbourPay's web team for a six-month internship and help build the "
            "merchant dashboard used by thousands of businesses across Southeast Asia. You "
            "will work on real features, with a mentor and code reviews, alongside "
            "experienced engineers.\n\n"
            "## Responsibilities\n\n"
            "- Build and test user interface components in TypeScript and React\n"
            "- Fix bugs and improve performance and accessibility\n"
            "- Write unit and end-to-end tests\n"
            "- Take part in sprint planning, stand-ups and demos\n"
            "- Present a project to the engineering team at the end of your internship\n\n"
            "## Requirements\n\n"
            "- Currently studying computer science or a related field\n"
            "- Good knowledge of HTML, CSS and JavaScript; some React experience\n"
            "- Familiar with Git and basic web development workflows\n"
            "- Eager to learn and open to feedback\n"
            "- Available full time for six months from January or July\n\n"
            "## Benefits\n\n"
            "- Monthly stipend shown above\n"
            "- Dedicated mentor and structured learning plan\n"
            "- Laptop and hybrid working\n"
            "- Possibility of a graduate offer\n\n"
            "Learn more about our engineering culture on the [company "
            "site](https://example.com/harbourpay/engineering).\n"
        ),
        "category": "engineering",
        "employment_type": "internship",
        "location": "Singapore",
        "remote": False,
        "salary_min": 1500,
        "salary_max": 2000,
        "salary_currency": "SGD",
        "salary_period": "month",
        "apply_url": "https://careers.example.com/harbourpay/frontend-intern",
        "apply_email": None,
        "status": "published",
        "age_days": 27,
    },
    {
        "title": "生产线质量工程师",
        "content": (
            "华信精密是一家专注消费电子结构件与精密模具的制造企业，拥有 CNC、"
            "注塑和表面处理等完整生产线。为持续提升产品品质，现招聘生产线质量工程师，"
            "负责制程质量管理与客户质量问题改善。\n\n"
            "## 职责\n\n"
            "- 制定并执行来料、制程及出货检验标准，监控生产线质量状况\n"
            "- 运用 SPC、FMEA、8D 等质量工具分析不良原因，推动纠正与预防措施\n"
            "- 主导新产品导入阶段的质量策划与试产验证\n"
            "- 处理客户投诉，编写质量报告并跟进改善结果\n"
            "- 组织质量培训，提升一线员工的质量意识\n"
            "- 配合 ISO 9001 等体系审核工作\n\n"
            "## 任职要求\n\n"
            "- 机械、材料或质量管理相关专业本科及以上学历\n"
            "- **3 年以上制造业质量工程经验**，有消费电子行业经验者优先\n"
            "- 熟练掌握常用质量工具与统计方法\n"
            "- 能看懂机械图纸，熟悉常用测量仪器\n"
            "- 具备良好的英文读写能力者优先\n"
            "- 沟通能力强，能够推动跨部门问题解决\n\n"
            "## 福利\n\n"
            "- 五险一金，季度质量奖金\n"
            "- 提供免费宿舍和工作餐\n"
            "- 带薪年假与节日福利\n"
            "- 完善的技术职级晋升体系\n\n"
            "## 工作时间\n\n"
            "实行做五休二的白班制度，新产品导入阶段可能需要配合夜班试产。\n\n"
            "## 招聘流程\n\n"
            "- 简历筛选与电话沟通\n"
            "- 质量经理面试，讨论实际质量问题案例\n"
            "- 参观工厂并与生产、工程团队交流\n"
            "- 人力资源部面谈与录用\n\n"
            "了解更多，请访问[华信精密官网](https://example.com/huaxin)。\n"
        ),
        "category": "manufacturing",
        "employment_type": "full_time",
        "location": "东莞",
        "remote": False,
        "salary_min": 12000,
        "salary_max": 18000,
        "salary_currency": "CNY",
        "salary_period": "month",
        "apply_url": "https://careers.example.com/huaxin/quality-engineer",
        "apply_email": "hr@example.cn",
        "status": "published",
        "age_days": 18,
    },
    {
        "title": "Front Office Supervisor",
        "content": (
            "Hotel Spreebogen is a 90-room boutique hotel in Berlin-Mitte, popular with "
            "business travellers and culture lovers alike. We are looking for a front "
            "office supervisor who leads by example and makes every guest feel welcome "
            "from check-in to check-out.\n\n"
            "## Responsibilities\n\n"
            "- Supervise the reception team and plan shifts\n"
            "- Handle check-in, check-out, reservations and guest requests\n"
            "- Resolve complaints quickly and with a personal touch\n"
            "- Train new team members on standards and our property management system\n"
            "- Work with housekeeping and the restaurant to coordinate guest needs\n\n"
            "## Requirements\n\n"
            "- Completed hospitality training or equivalent experience\n"
            "- 2+ years of front office experience, ideally with first supervisory duties\n"
            "- Fluent German and English; a third language is a plus\n"
            "- Experience with Opera PMS or similar systems\n"
            "- Willingness to work early, late and weekend shifts\n\n"
            "## Benefits\n\n"
            "- Shift and holiday supplements\n"
            "- Staff meals and discounted stays in partner hotels\n"
            "- 28 days of holiday\n"
            "- Training budget and career development within our group\n\n"
            "Discover the hotel on our [company site](https://example.com/spreebogen).\n"
        ),
        "category": "hospitality",
        "employment_type": "full_time",
        "location": "Berlin",
        "remote": False,
        "salary_min": 2800,
        "salary_max": 3300,
        "salary_currency": "EUR",
        "salary_period": "month",
        "apply_url": "https://careers.example.com/hotel-spreebogen/front-office",
        "apply_email": "jobs@example.com",
        "status": "published",
        "age_days": 30,
    },
    {
        "title": "Technical Writer (Contract)",
        "company": "ledgerline",
        "content": (
            "Ledgerline is opening up its public API to accounting partners and needs "
            "clear, accurate documentation to go with it. We are looking for a technical "
            "writer on a three-month contract to create our developer documentation from "
            "the ground up.\n\n"
            "## Responsibilities\n\n"
            "- Write API reference pages, guides and tutorials for partner developers\n"
            "- Interview engineers and turn technical details into readable docs\n"
            "- Set up a style guide and a simple docs-as-code workflow\n"
            "- Review existing help-centre articles for accuracy and tone\n"
            "- Test examples against our sandbox environment\n\n"
            "## Requirements\n\n"
            "- 3+ years of experience writing developer documentation\n"
            "- Comfortable reading OpenAPI specifications and JSON examples\n"
            "- Experience with Markdown, Git and static site generators\n"
            "- Excellent written English\n"
            "- Familiarity with accounting or finance concepts is helpful\n\n"
            "## Benefits\n\n"
            "- Fully remote, flexible schedule\n"
            "- Around 25 hours per week, with possible extension\n"
            "- Direct collaboration with product and engineering leads\n\n"
            "See our existing docs on the [company site](https://example.com/ledgerline/doc"
            "s).\n"
        ),
        "category": "other",
        "employment_type": "contract",
        "location": "Remote",
        "remote": True,
        "salary_min": 45,
        "salary_max": 60,
        "salary_currency": "USD",
        "salary_period": "hour",
        "apply_url": "https://careers.example.com/ledgerline/technical-writer",
        "apply_email": None,
        "status": "published",
        "age_days": 17,
    },
    {
        "title": "Warehouse Associate (Part-time, Evenings)",
        "content": (
            "Parcelpoint operates a same-day delivery hub in San Francisco's Dogpatch "
            "neighbourhood, fulfilling orders for local shops and online brands. We are "
            "hiring part-time warehouse associates for our evening shift to receive, pick "
            "and pack orders.\n\n"
            "## Responsibilities\n\n"
            "- Receive inbound deliveries and check items against packing lists\n"
            "- Pick and pack orders accurately using handheld scanners\n"
            "- Prepare parcels for courier pick-up before the overnight cut-off\n"
            "- Keep the warehouse tidy, safe and organised\n"
            "- Report damaged goods and inventory discrepancies\n\n"
            "## Requirements\n\n"
            "- Able to lift up to 50 lb and stand for long periods\n"
            "- Reliable, punctual and detail-oriented\n"
            "- Previous warehouse or retail experience is helpful but not required\n"
            "- Available at least three evenings a week, 5 pm to 10 pm\n"
            "- Must be 18 or older\n\n"
            "## Benefits\n\n"
            "- Hourly pay shown above, paid weekly\n"
            "- Paid training and safety equipment provided\n"
            "- Flexible shift swapping through our app\n"
            "- Opportunities to move into lead or full-time roles\n\n"
            "Learn more about us on the [company site](https://example.com/parcelpoint).\n"
        ),
        "category": "logistics",
        "employment_type": "part_time",
        "location": "San Francisco",
        "remote": False,
        "salary_min": 22,
        "salary_max": 25,
        "salary_currency": "USD",
        "salary_period": "hour",
        "apply_url": None,
        "apply_email": "warehouse@example.com",
        "status": "published",
        "age_days": 23,
    },
    {
        "title": "Growth Marketing Manager",
        "content": (
            "Quillhouse is launching a self-serve design subscription for small "
            "non-profits, and we need a growth marketer to bring it to market. You will be "
            "the first dedicated marketing hire, working directly with the founders in a "
            "fully remote team.\n\n"
            "## Responsibilities\n\n"
            "- Build and run our acquisition strategy across search, social and "
            "partnerships\n"
            "- Own landing pages, email campaigns and onboarding flows\n"
            "- Set up tracking and report on funnel performance each week\n"
            "- Run experiments on pricing pages and messaging\n"
            "- Work with our designers to produce compelling campaign assets\n\n"
            "## Requirements\n\n"
            "- **4+ years in growth or performance marketing**, ideally for B2B SaaS\n"
            "- Hands-on with Google Ads, LinkedIn Ads and marketing automation tools\n"
            "- Comfortable with analytics tools and basic SQL\n"
            "- Strong writing skills and a test-and-learn mindset\n"
            "- Interest in the non-profit sector\n\n"
            "## Benefits\n\n"
            "- Fully remote, working hours that overlap with European time zones\n"
            "- Profit-sharing scheme\n"
            "- 30 days of holiday and a home-office budget\n"
            "- Twice-yearly team retreats\n\n"
            "Read our story on the [company site](https://example.com/quillhouse/story).\n"
        ),
        "category": "marketing",
        "employment_type": "full_time",
        "location": "Remote",
        "remote": True,
        "salary_min": None,
        "salary_max": None,
        "salary_currency": None,
        "salary_period": None,
        "apply_url": "https://careers.example.com/quillhouse/growth-marketing",
        "apply_email": "hello@example.com",
        "status": "published",
        "age_days": 33,
    },
]
