"""Gateway routes: the knowledge base 知识库 (T9).  The ticket service validates and
decides who sees drafts; editors are supervisors and up, and admins."""
from services.common.errors import Invalid
from services.common.rpc import call
from services.gateway.http import api, json_object, load_body
from services.ticket.contract import knowledge as kb
from services.vocabulary import ADMINS, OPERATORS, STAFF, SUPERVISORS_UP

EDITORS = SUPERVISORS_UP | ADMINS
A = "/api/v1/kb/articles/<article_id>"


class KnowledgeRoutes:
    @api("GET", "/api/v1/kb/categories", "Knowledge-base categories (a tree by parent_id)",
         allow=STAFF, response=kb.KbCategoryList)
    def kb_categories(self, request):
        return call(self.ticket.kb_categories, timeout=self.deadline)

    @api("POST", "/api/v1/kb/categories", "Create a knowledge-base category (editors)",
         allow=EDITORS, status=201, body=kb.KbCategoryIn, response=kb.KbCategory)
    def kb_create_category(self, request):
        return call(self.ticket.kb_create_category, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/kb/articles",
         "Search articles by Chinese words (?q=), or newest first with keyset paging",
         allow=STAFF, query=kb.KbSearchQuery, response=kb.KbArticleList)
    def kb_search(self, request):
        return call(self.ticket.kb_search, request.args.to_dict(), timeout=self.deadline)

    @api("POST", "/api/v1/kb/articles", "Write an article: version 1, a draft unless told",
         allow=EDITORS, status=201, body=kb.KbArticleIn, response=kb.KbArticle)
    def kb_create_article(self, request):
        return call(self.ticket.kb_create_article, json_object(request), timeout=self.deadline)

    @api("GET", A, "An article and its current version number", allow=STAFF,
         response=kb.KbArticle)
    def kb_article(self, request, article_id):
        return call(self.ticket.kb_article, article_id, timeout=self.deadline)

    @api("PATCH", A, "Edit an article: a new version (base_version guards against a "
         "concurrent edit)", allow=EDITORS, body=kb.KbArticlePatch, response=kb.KbArticle)
    def kb_update_article(self, request, article_id):
        return call(self.ticket.kb_update_article, article_id, json_object(request),
                    timeout=self.deadline)

    @api("POST", A + "/publish", "Publish an article", allow=EDITORS, response=kb.KbArticle)
    def kb_publish(self, request, article_id):
        return call(self.ticket.kb_publish, article_id, timeout=self.deadline)

    @api("GET", A + "/versions", "Every version of an article, newest first", allow=STAFF,
         response=kb.KbVersionList)
    def kb_versions(self, request, article_id):
        return call(self.ticket.kb_versions, article_id, timeout=self.deadline)

    @api("GET", A + "/versions/<number>", "One version of an article in full", allow=STAFF,
         response=kb.KbVersion)
    def kb_version(self, request, article_id, number):
        if not number.isdigit() or len(number) > 9:
            raise Invalid("bad version", {"version": ["must be a whole number from 1"]})
        return call(self.ticket.kb_version, article_id, int(number), timeout=self.deadline)

    @api("GET", A + "/tickets", "The tickets an article is linked to, last linked first",
         allow=STAFF, query=kb.KbPage, response=kb.KbTicketList)
    def kb_article_tickets(self, request, article_id):
        page = kb.KbPage().load(request.args.to_dict())
        return call(self.ticket.kb_article_tickets, article_id, page["before"], page["limit"],
                    timeout=self.deadline)

    @api("GET", "/api/v1/tickets/<ticket_id>/articles", "The articles linked to a ticket",
         allow=STAFF, response=kb.KbArticleList)
    def kb_ticket_articles(self, request, ticket_id):
        return call(self.ticket.kb_ticket_articles, ticket_id, timeout=self.deadline)

    @api("POST", "/api/v1/tickets/<ticket_id>/articles",
         "Link a published article to a ticket (from a consultation it counts as asked)",
         allow=OPERATORS, body=kb.KbLinkIn, response=kb.KbArticleList)
    def kb_link(self, request, ticket_id):
        article_id = str(load_body(request, kb.KbLinkIn())["article_id"])
        return call(self.ticket.kb_link, ticket_id, article_id, timeout=self.deadline)

    @api("DELETE", "/api/v1/tickets/<ticket_id>/articles/<article_id>",
         "Unlink an article from a ticket", allow=OPERATORS, response=kb.KbArticleList)
    def kb_unlink(self, request, ticket_id, article_id):
        return call(self.ticket.kb_unlink, ticket_id, article_id, timeout=self.deadline)

    @api("GET", "/api/v1/kb/suggest",
         "Published articles for what is being typed into a ticket (?text=&kind=&category_id=)",
         allow=STAFF, query=kb.KbSuggestQuery, response=kb.KbArticleList)
    def kb_suggest(self, request):
        q = kb.KbSuggestQuery().load(request.args.to_dict())
        return call(self.ticket.kb_suggest, q["text"], q["kind"],
                    q["category_id"] and str(q["category_id"]), q["limit"],
                    timeout=self.deadline)

    @api("GET", "/api/v1/kb/ranking",
         "Most asked consultation topics over ?from=&to= (days): articles and categories",
         allow=STAFF, query=kb.KbRankingQuery, response=kb.KbRanking)
    def kb_ranking(self, request):
        return call(self.ticket.kb_ranking, request.args.to_dict(), timeout=self.deadline)
